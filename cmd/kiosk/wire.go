package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/cardio"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/printer"
	"github.com/macau-dsi/kiosk/sealbox"
	"github.com/macau-dsi/kiosk/store"
)

// maintenancePoll is how often the kiosk looks for staff's maintenance switch
// (`kiosk admin maintenance on|off` writes it to the database).
const maintenancePoll = 5 * time.Second

// hardware wires the real adapters: the database, the PC/SC reader, the camera and
// face engine. In demo mode the reader is the emulator behind pcscd + vpcd and the
// camera a recording; everything else is the same code as production.
func hardware(ctx context.Context, cfg config.Config, o runOptions) (devs devices, err error) {
	started := time.Now() // no session of this process holds an application from before
	var closers []func()
	devs.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			devs.close()
		}
	}()
	production := cfg.Kiosk.Mode == config.ModeProduction

	if o.demo {
		demo, derr := startDemoCard(ctx, &cfg)
		if derr != nil {
			return devs, derr
		}
		closers = append(closers, demo.close)
		devs.demo = demo // completed with the payment hands once the back office runs
		if o.camera < 0 {
			video, verr := demoRecording()
			if verr != nil {
				return devs, verr
			}
			cfg.Face.Camera.Video = video
		}
	}
	if o.camera >= 0 {
		cfg.Face.Camera = config.CameraConfig{Index: o.camera, Width: cfg.Face.Camera.Width, Height: cfg.Face.Camera.Height, FPS: cfg.Face.Camera.FPS}
	}

	db, err := store.Open(ctx, cfg.Store.Path, storeOptions(cfg))
	if err != nil {
		return devs, fmt.Errorf("database: %w", err)
	}
	closers = append(closers, func() { db.Close() })
	subjects, err := store.LoadOrCreateSubjectKey(cfg.Store.SubjectKeyFile)
	if err != nil {
		return devs, err
	}

	trust, err := lds.LoadTrustStore(cfg.Card.TrustStore)
	if err != nil {
		return devs, fmt.Errorf("card: %w (set card.trust_store to the CSCA folder)", err)
	}
	card := cardio.NewPCSCReader(cardio.PCSCConfig{
		Reader:       cfg.Card.Reader,
		AllowVirtual: cfg.Card.AllowVirtual && !production,
		Trust:        trust,
		ReadTimeout:  cfg.Card.ReadTimeout,
		// The one PIN policy: the session checks entries against it, the card adapter
		// refuses any other length before sending it.
		PINLength: kiosk.DefaultPINPolicy.Length,
	})

	if err := applyStaffFaceSettings(ctx, db, &cfg.Face); err != nil {
		return devs, err
	}
	eng, err := facematch.NewEngine(cfg.Face.ModelsDir, faceOptions(cfg.Face))
	if err != nil {
		return devs, fmt.Errorf("face models: %w", err)
	}
	closers = append(closers, func() { eng.Close() })
	src, err := facematch.OpenSource(cameraOptions(cfg.Face.Camera), facematch.SourceOptions{Production: production, Loop: o.demo})
	if err != nil {
		return devs, fmt.Errorf("camera: %w", err)
	}
	var heldUp *facematch.HeldUp
	if o.demo && o.camera < 0 {
		// The demo's recording can have a phone held up in front of it: the DEMO
		// banner's eID button (a resident showing the One Account app's code).
		heldUp = facematch.NewHeldUp(src, nil)
		src = heldUp
	}
	closers = append(closers, func() { src.Close() })
	// The eID start reads the One Account app's code with the same camera.
	qrScanner, err := facematch.NewQRScanner(src, facematch.QROptions{})
	if err != nil {
		return devs, err
	}
	face, err := facematch.NewVerifier(eng, facematch.VerifierOptions{Source: src, Production: production})
	if err != nil {
		return devs, err
	}
	var faceVerifier kiosk.FaceVerifier = face
	if o.demo && o.camera < 0 {
		// A recording cannot answer a random prompt: it does every action in turn, and
		// the demo accepts any of them. Everything else (quality, passive and injected-
		// video checks, the match) runs as in production.
		faceVerifier = anyChallenge{face}
	}

	onError := func(err error) { slog.Warn("session", "error", err) }
	if o.demo {
		// The demo's back office is the reference one, a child process on loopback
		// seeded with this demo's subject key; the kiosk reaches it exactly as it
		// reaches DSI's (mutual TLS, the same client and payments).
		dbo, derr := startDemoBackOffice(ctx, demoBackOfficeDir(cfg), cfg.Store.SubjectKeyFile, cfg.Kiosk.ID)
		if derr != nil {
			return devs, derr
		}
		closers = append(closers, dbo.close)
		dbo.configure(&cfg)
		devs.backOffice = dbo
	}
	link, err := wireBackOffice(cfg, onError)
	if err != nil {
		return devs, err
	}
	closers = append(closers, link.close)
	bo := link.bo
	if o.demo {
		devs.demo = &demoHands{demoCard: devs.demo.(*demoCard), bo: devs.backOffice, terminal: link.terminal,
			heldUp: heldUp, subjectKey: cfg.Store.SubjectKeyFile}
	}
	words, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		return devs, fmt.Errorf("receipt printer: %w", err)
	}
	pc := cfg.Printer
	if o.demo && pc.Queue == "" && pc.Folder == "" {
		pc.Folder = filepath.Join(filepath.Dir(cfg.Store.Path), "receipts") // beside the demo database
	}
	receipts := printer.New(printerOptions(pc), words) // CUPS with a queue, a PDF folder, else kiosk.NoPrinter
	// The demo's back office made its own seal key pair: configure pointed at it.
	sealer, err := sealbox.LoadSealer(cfg.BackOffice.SealKeyFile)
	if err != nil {
		return devs, fmt.Errorf("%w (set backoffice.seal_key_file to the back office's public key)", err)
	}
	// One deliverer for the outbox's rounds and for the session's "now" (a fresh
	// application, for the collection date on its receipt).
	deliverer := &kiosk.Deliverer{Queue: db, BackOffice: bo, OnError: onError}
	devs.deps = kiosk.Deps{
		Card: card, Face: faceVerifier, Photo: face, Store: db, BackOffice: bo, Payments: link.pay,
		Printer: receipts, Clock: kiosk.SystemClock{}, Rand: rand.Reader, Subjects: subjects,
		Sealer: sealer, OnError: onError,
	}
	if link.client != nil {
		// Starting with the eID needs the back office to verify the code and send the
		// resident's record and reference photo: offline, the kiosk offers the card only.
		devs.deps.EID, devs.deps.QR = link.client, qrScanner
		devs.deps.Outbox = deliverer // without a back office, the receipt says "by SMS" at once
		// One Account needs the back office there and then (code, account, binding):
		// without backoffice.url the menu says it cannot be done here.
		devs.deps.OneAccounts = backoffice.NewOneAccounts(link.client)
	}
	if err := wireStaff(ctx, &devs.deps, db, cfg); err != nil {
		return devs, err
	}
	devs.background = func(ctx context.Context, post func(kiosk.Event)) {
		go runHealth(ctx, cfg, db)
		go deliverer.Run(ctx, 30*time.Second)
		go watchMaintenance(ctx, db, post)
		if link.payments != nil {
			// Only a kiosk that can ask about orders settles: without one, a held
			// application (perhaps paid) stays held until it can.
			deliver := func(ctx context.Context) {
				if _, err := deliverer.DeliverDue(ctx); err != nil {
					onError(err)
				}
			}
			go settleHeld(ctx, db, link.pay, kiosk.SystemClock{}, started, deliver, onError)
		}
	}
	return devs, nil
}

// watchMaintenance posts the staff's maintenance switch to the session.
func watchMaintenance(ctx context.Context, db *store.DB, post func(kiosk.Event)) {
	t := time.NewTicker(maintenancePoll)
	defer t.Stop()
	known := false
	for {
		on, err := db.Maintenance(ctx)
		if err == nil && on != known {
			known = on
			if on {
				post(kiosk.Event{Kind: kiosk.EvMaintenanceOn})
			} else {
				post(kiosk.Event{Kind: kiosk.EvMaintenanceOff})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// unreachableBackOffice stands in until DSI publishes the back-office interface: the
// kiosk works offline, services that need the resident's record say it is unavailable,
// and submitted applications wait in the outbox.
type unreachableBackOffice struct{}

func (unreachableBackOffice) Lookup(context.Context, string) (kiosk.ResidentRecord, error) {
	return kiosk.ResidentRecord{}, fmt.Errorf("%w: no back-office link configured", kiosk.ErrBackOfficeUnavailable)
}

func (unreachableBackOffice) Submit(context.Context, string, kiosk.ApplicationMessage) (kiosk.SubmitAnswer, error) {
	return kiosk.SubmitAnswer{}, fmt.Errorf("%w: no back-office link configured", kiosk.ErrBackOfficeUnavailable)
}

// anyChallenge asks for "any action" whatever the session picked (demo recordings).
type anyChallenge struct{ v kiosk.FaceVerifier }

func (a anyChallenge) Verify(ctx context.Context, ref kiosk.FacePhoto, _ kiosk.Challenge, progress func(kiosk.FaceProgress)) (kiosk.FaceDecision, error) {
	return a.v.Verify(ctx, ref, kiosk.ChallengeAny, progress)
}

// demoCard is the emulated card in pcscd's vpcd reader, with the DEMO banner's
// insert and pull buttons.
type demoCard struct {
	env   *vpcdtest.Env
	close func()
}

func (d *demoCard) InsertCard() {
	if err := d.env.Insert(); err != nil {
		slog.Warn("demo: insert card", "error", err)
	}
}

func (d *demoCard) RemoveCard() {
	if err := d.env.Pull(); err != nil {
		slog.Warn("demo: pull card", "error", err)
	}
}

// startDemoCard starts pcscd, vpcd and the emulator with the demo profile, and points
// the card configuration at them. The card starts pulled: the resident inserts it.
func startDemoCard(ctx context.Context, cfg *config.Config) (*demoCard, error) {
	state := filepath.Join(filepath.Dir(cfg.Store.Path), "demo-pki")
	env, err := vpcdtest.Start(ctx, vpcdtest.Options{
		StateDir:   state,
		OnLockWait: func(holder string) { slog.Info("demo: waiting for the virtual reader", "held_by", holder) },
	})
	if err != nil {
		return nil, fmt.Errorf("demo card: %w", err)
	}
	if !env.VPCDIsolated() {
		// vpcdtest's own pcscd keeps vpcd's port in a network namespace of its own
		// (and dies with this process); one already running, or one started without
		// the right to make a namespace, leaves it open on every interface.
		slog.Warn("demo: vpcd listens on every interface while the demo runs", "port", 35963, "own_pcscd", env.StartedPcscd())
	}
	cfg.Card.Reader = env.ReaderName
	cfg.Card.AllowVirtual = true
	cfg.Card.TrustStore = env.TrustStore
	if err := env.Pull(); err != nil {
		env.Close()
		return nil, fmt.Errorf("demo card: %w", err)
	}
	return &demoCard{env: env, close: func() { env.Close() }}, nil
}

// demoRecordingFile is the demo camera recording, relative to the repository root;
// demoRecordingInstalled is where a package installs it.
var (
	demoRecordingFile      = filepath.Join("facematch", "testdata", "video", "demo_hopper.mp4")
	demoRecordingInstalled = "/usr/share/dsi-kiosk/demo/demo_hopper.mp4"
)

// demoRecording finds the demo camera recording: in the repository this process runs
// in (found by walking up from the working directory to this module's go.mod, so
// that `go run ./cmd/kiosk` from the root and `go test ./cmd/kiosk`, which runs in
// cmd/kiosk, both find it), else where a package installs it. It is not embedded in
// the binary: OpenCV's decoder needs a file, and 600 kB of video has no place in
// the production binary.
func demoRecording() (string, error) {
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		if root, ok := moduleRoot(wd); ok {
			candidates = append(candidates, filepath.Join(root, demoRecordingFile))
		}
	}
	candidates = append(candidates, demoRecordingInstalled)
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c, nil
		}
	}
	return "", fmt.Errorf("demo: no demo recording (looked for %s); run from the repository or pass --camera N", strings.Join(candidates, ", "))
}

// modulePath is this module's path, as go.mod declares it.
const modulePath = "github.com/macau-dsi/kiosk"

// moduleRoot walks up from dir to the folder whose go.mod declares this module.
func moduleRoot(dir string) (string, bool) {
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declaresModule(b, modulePath) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// declaresModule reports whether a go.mod's module line names path.
func declaresModule(gomod []byte, path string) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == path
		}
	}
	return false
}

// newMachine builds the session machine over the wired devices, as `kiosk run` runs
// it (shared with the end-to-end demo test, so the test runs the same machine).
func newMachine(cfg config.Config, o runOptions, devs devices) (*kiosk.Machine, error) {
	fees, err := cfg.Services.Fees.FeeTable()
	if err != nil {
		return nil, err
	}
	hours, err := kiosk.ParseOfficeHours(cfg.Services.OfficeHours)
	if err != nil {
		return nil, err
	}
	return kiosk.NewMachine(kiosk.MachineConfig{
		KioskID:         cfg.Kiosk.ID,
		Fees:            fees,
		OfficeHours:     &hours,
		VerifyURLBase:   cfg.Services.VerifyURLBase,
		DefaultLanguage: kiosk.Language(cfg.UI.Language),
		ScreenTimeout:   cfg.UI.ScreenTimeout,
		PaymentTimeout:  paymentTimeout,
		Demo:            o.demo,
		// Four ticks a second keep the visible countdowns smooth.
		TickEvery: 250 * time.Millisecond,
	}, devs.deps)
}

// demoConfig keeps the demo's database, subject key and test PKI apart from
// production's, and marks the mode so virtual devices are allowed.
func demoConfig(cfg config.Config) config.Config {
	cfg.Kiosk.Mode = config.ModeDemo
	dir := filepath.Join(os.TempDir(), "dsi-kiosk-demo")
	if cache, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(cache, "dsi-kiosk", "demo")
	}
	cfg.Store.Path = filepath.Join(dir, "kiosk.db")
	cfg.Store.SubjectKeyFile = filepath.Join(dir, "subject.key")
	cfg.Store.AuditKeyFile = "" // beside the demo database
	return cfg
}

// storeOptions is how every command opens the database: with the configured audit
// key, and with what Open repaired (files left open to others) logged.
func storeOptions(cfg config.Config) store.Options {
	return store.Options{
		AuditKeyFile: cfg.Store.AuditKeyFile,
		Warn:         func(msg string) { slog.Warn("database", "repaired", msg) },
	}
}
