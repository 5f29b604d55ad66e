package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/spf13/cobra"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
)

// runOptions are the flags of `kiosk run`.
type runOptions struct {
	windowed bool
	demo     bool
	camera   int // -1: the configured camera (or the recorded one in demo mode)
}

func init() {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [--windowed] [--demo] [--camera N]",
		Short: "Run the kiosk: full screen, touch, in zh-Hant / pt / en",
		Long: "Run the kiosk full screen without window decorations. --windowed opens a normal\n" +
			"1920×1080 window for development (set FYNE_SCALE=0.6 on a small screen; Ctrl+Q quits).\n" +
			"--demo runs the whole resident path on a machine with no hardware, under a DEMO banner.\n" +
			"It starts pcscd + vpcd with the card emulator (demo profile) and plays a recording\n" +
			"as the camera; the DEMO banner has buttons that insert and pull the card. Its\n" +
			"database and test PKI live apart from production's, under the user cache folder.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if o.camera < -1 || o.camera > 63 {
				return usageError{fmt.Errorf("--camera %d: a webcam index 0 to 63", o.camera)}
			}
			// A production kiosk can never be switched to emulated devices by a flag.
			if o.demo && cfg.Kiosk.Mode == config.ModeProduction {
				return usageError{errors.New("--demo is refused when kiosk.mode is production; set KIOSK_KIOSK_MODE=demo (make demo does)")}
			}
			return runKiosk(cmd.Context(), cfg, o)
		},
	}
	cmd.Flags().BoolVar(&o.windowed, "windowed", false, "a normal window instead of full screen (development)")
	cmd.Flags().BoolVar(&o.demo, "demo", false, "run with emulated devices under a DEMO banner")
	cmd.Flags().IntVar(&o.camera, "camera", -1, "webcam index to use instead of the configured (or, in demo, recorded) camera")
	rootCmd.AddCommand(cmd)
}

// devices are the adapters the session runs on.
type devices struct {
	deps kiosk.Deps
	demo kioskapp.DemoControls // nil outside demo mode
	// backOffice is the demo's reference back office (child process), nil outside
	// demo mode.
	backOffice *demoBackOffice
	// background starts the kiosk's own workers (health samples, outbox delivery,
	// maintenance switch) once the session exists; they stop with ctx.
	background func(ctx context.Context, post func(kiosk.Event))
	close      func()
}

// wireDevices is the seam where the adapters plug in (cmd/kiosk/wire.go): the same
// PC/SC reader, face pipeline and store in production and in demo mode; the demo only
// swaps the card for the emulator behind pcscd + vpcd and the camera for a recording.
func wireDevices(ctx context.Context, cfg config.Config, o runOptions) (devices, error) {
	return hardware(ctx, cfg, o)
}

// sessionHook, when set, is given the session machine, the demo controls and a
// function that ends the run as closing the window does, just before the session
// starts. Only the real-process memory benchmark (rss_bench_test.go) sets it, to play
// resident sessions in the real window; the kiosk leaves it nil.
var sessionHook func(m *kiosk.Machine, demo kioskapp.DemoControls, quit func())

// runKiosk builds the session and the window and runs until the window closes or
// the process is told to stop.
func runKiosk(parent context.Context, cfg config.Config, o runOptions) error {
	if parent == nil {
		parent = context.Background()
	}
	if o.demo {
		cfg = demoConfig(cfg)
	}
	sd := systemdNotifier() // before wireDevices starts anything that would inherit it
	defer sd.Close()
	devs, err := wireDevices(parent, cfg, o)
	if err != nil {
		return err
	}
	defer devs.close()
	// metrics.go: before the machine, which gets the instrumented ports. A metrics
	// port it cannot take is logged there and the kiosk runs on without metrics.
	mon, _ := startMonitor(cfg, &devs)
	defer mon.close()
	m, err := newMachine(cfg, o, devs)
	if err != nil {
		return fmt.Errorf("kiosk run: %w", err)
	}
	mon.watch(m)
	tr, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		return fmt.Errorf("kiosk run: %w", err)
	}
	font, err := kioskapp.LoadFont(cfg.UI.FontFile)
	if err != nil {
		return fmt.Errorf("kiosk run: %w", err)
	}

	a := fyneapp.NewWithID("mo.gov.dsi.kiosk")
	w := a.NewWindow(tr.T(kiosk.Language(cfg.UI.Language), "app.title", nil))
	ui := kioskapp.New(a, w, tr, m, devs.demo)
	ui.SetFont(font)
	ui.SetSpeaker(&kioskapp.WavPlayer{Dir: cfg.UI.PromptsDir, OnError: func(err error) { slog.Debug("speaker", "error", err) }})
	w.SetPadded(false)
	if o.windowed || !cfg.UI.Fullscreen {
		w.Resize(fyne.NewSize(1920, 1080))
		w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierControl},
			func(fyne.Shortcut) { w.Close() })
	} else {
		// Full screen has no title bar or borders; closing is staff's job (systemd).
		w.SetFullScreen(true)
	}

	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if sessionHook != nil {
		sessionHook(m, devs.demo, stop)
	}
	runErr := make(chan error, 1)
	go func() {
		err := m.Run(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			// A session that cannot run must not leave a window that looks in service
			// until someone closes it: log, close the window, exit non-zero, so the
			// supervisor sees it. (pcscd down is not such an error: the card watcher
			// reports the reader lost and the kiosk shows "out of service".)
			slog.Error("kiosk run: the session stopped", "error", err)
			stop()
		}
		runErr <- err
	}()
	if devs.background != nil {
		devs.background(ctx, m.Post)
	}
	go runPurge(ctx, cfg) // purge.go: store.retention, once a day
	go func() {
		<-ctx.Done()
		fyne.Do(func() { a.Quit() })
	}()
	startHeartbeat(ctx, sd, nil) // systemd's watchdog is fed only by Fyne's goroutine
	ui.Start()
	w.ShowAndRun()
	sd.Stopping()
	ui.Stop()
	stop()
	if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("kiosk run: %w", err)
	}
	return nil
}
