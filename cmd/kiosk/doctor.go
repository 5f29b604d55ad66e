package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/macau-dsi/kiosk/assets/models"
	"github.com/macau-dsi/kiosk/cardio"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
	"github.com/macau-dsi/kiosk/store"
)

// Doctor statuses. WARN does not fail the run: it is for things a demo or a developer
// machine may lack on purpose.
const (
	statusOK   = "OK"
	statusWarn = "WARN"
	statusFail = "FAIL"
)

// doctorResult is one row of the doctor's table.
type doctorResult struct {
	Check  string `json:"check"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// doctorCheck produces one or more rows. Checks are registered by the files that own
// the dependency (doctor_*.go), in the order they should print.
type doctorCheck struct {
	order int
	// whileRunning says the check is safe beside a running kiosk (health samples):
	// the camera probe is not (it would open the kiosk's camera), nor is loading
	// every model a second time.
	whileRunning bool
	run          func(ctx context.Context, cfg config.Config) []doctorResult
}

var doctorChecks []doctorCheck

func registerDoctorCheck(order int, whileRunning bool, run func(ctx context.Context, cfg config.Config) []doctorResult) {
	doctorChecks = append(doctorChecks, doctorCheck{order, whileRunning, run})
}

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check every dependency and device; say what is missing and how to fix it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cfgErr := loadConfig()
			var results []doctorResult
			if cfgErr != nil {
				results = append(results, doctorResult{"config", statusFail, strings.ReplaceAll(cfgErr.Error(), "\n", "; "), "fix the keys named above (see packaging/kiosk.sample.yaml)"})
				cfg = config.Default() // still check the rest against defaults
			} else {
				src := "embedded defaults"
				if configFile != "" {
					src = configFile
				} else if _, err := os.Stat(config.DefaultPath); err == nil {
					src = config.DefaultPath
				}
				results = append(results, doctorResult{"config", statusOK, "valid (" + src + ", mode " + cfg.Kiosk.Mode + ")", ""})
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			sort.SliceStable(doctorChecks, func(i, j int) bool { return doctorChecks[i].order < doctorChecks[j].order })
			for _, c := range doctorChecks {
				results = append(results, c.run(ctx, cfg)...)
			}
			failed := 0
			for _, r := range results {
				if r.Status == statusFail {
					failed++
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					OK     bool           `json:"ok"`
					Checks []doctorResult `json:"checks"`
				}{failed == 0, results}); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL\tFIX")
				for _, r := range results {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Check, r.Status, r.Detail, r.Fix)
				}
				tw.Flush()
				if failed > 0 {
					fmt.Fprintf(out, "\n%d problem(s) found.\n", failed)
				} else {
					fmt.Fprintln(out, "\nAll checks passed.")
				}
			}
			if failed > 0 {
				return errFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	rootCmd.AddCommand(cmd)

	registerDoctorCheck(20, false, checkModels)
	registerDoctorCheck(40, true, checkPCSC)
	registerDoctorCheck(50, false, checkCameras)
	registerDoctorCheck(60, true, checkFont)
	registerDoctorCheck(70, true, checkDatabase)
	registerDoctorCheck(80, true, checkTrustStore)
}

// checkModels verifies each pinned model's checksum and, through OpenCV's DNN module,
// that it loads and gives outputs of the expected shapes.
func checkModels(_ context.Context, cfg config.Config) []doctorResult {
	out := []doctorResult{{Check: "OpenCV", Status: statusOK, Detail: facematch.OpenCVVersion() + " with DNN"}}
	if v := facematch.OpenCVVersion(); !strings.HasPrefix(v, "4.") {
		out[0].Status, out[0].Fix = statusFail, "install Debian 12's libopencv-dev 4.6 (gocv v0.32.0)"
	}
	for _, m := range facematch.CheckModels(cfg.Face.ModelsDir, true) {
		r := doctorResult{Check: "model " + m.Model, Status: statusOK, Detail: "sha256 verified, loads, output shapes as expected"}
		if sum, ok := models.SHA256Of(m.Model); ok {
			r.Detail = "sha256 " + sum[:12] + "… verified, loads in DNN, output shapes as expected"
		}
		if !m.OK {
			r.Status, r.Detail, r.Fix = statusFail, m.Problem, m.Fix
		}
		out = append(out, r)
	}
	return out
}

// pcscSocket is where pcscd listens (Debian's pcscd).
const pcscSocket = "/run/pcscd/pcscd.comm"

func checkPCSC(_ context.Context, cfg config.Config) []doctorResult {
	r := doctorResult{Check: "pcscd", Status: statusOK, Detail: "listening on " + pcscSocket}
	conn, err := net.DialTimeout("unix", pcscSocket, 2*time.Second)
	if err != nil {
		r.Status, r.Detail = statusFail, "not reachable at "+pcscSocket+" ("+shortErr(err)+")"
		r.Fix = "systemctl enable --now pcscd.socket (package pcscd)"
		return []doctorResult{r}
	}
	conn.Close()
	out := []doctorResult{r}
	readers, err := cardio.ListReaders()
	if err != nil {
		return append(out, doctorResult{"card readers", statusFail, err.Error(), "check pcscd's log (journalctl -u pcscd)"})
	}
	usable := 0
	for _, rd := range readers {
		row := doctorResult{Check: "reader", Status: statusOK, Detail: rd.Name}
		if rd.Card {
			row.Detail += " (card present)"
		}
		switch {
		case rd.Virtual && cfg.Kiosk.Mode == config.ModeProduction:
			row.Status, row.Fix = statusFail, "a virtual reader on a production kiosk: apt-get remove vsmartcard-vpcd (vpcd listens on all addresses)"
		case rd.Virtual && !cfg.Card.AllowVirtual:
			row.Status, row.Fix = statusWarn, "virtual reader ignored (card.allow_virtual is false)"
		default:
			usable++
		}
		out = append(out, row)
	}
	if usable == 0 {
		out = append(out, doctorResult{"card readers", statusFail, "no usable reader", "connect the kiosk's card reader"})
	}
	return out
}

func checkCameras(ctx context.Context, cfg config.Config) []doctorResult {
	prober := facematch.CameraProber{Camera: cameraOptions(cfg.Face.Camera), Production: cfg.Kiosk.Mode == config.ModeProduction}
	var out []doctorResult
	if devs, err := prober.Cameras(); err == nil {
		for _, d := range devs {
			r := doctorResult{Check: "video device", Status: statusOK, Detail: d.Path + " " + d.Name + " (" + d.Driver + ")"}
			if d.Virtual {
				r.Status, r.Detail = statusWarn, r.Detail+": virtual ("+d.Why+")"
				if cfg.Kiosk.Mode == config.ModeProduction {
					r.Status, r.Fix = statusFail, "remove the virtual camera driver from a production kiosk"
				}
			}
			out = append(out, r)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c := prober.Probe(pctx)
	r := doctorResult{Check: "camera", Status: statusOK, Detail: c.Detail}
	if !c.OK {
		r.Status, r.Fix = statusFail, "connect the camera, or set face.camera.index / face.camera.device"
		if cfg.Kiosk.Mode != config.ModeProduction {
			r.Status, r.Fix = statusWarn, "no webcam: `kiosk run --demo` uses a recording"
		}
	}
	return append(out, r)
}

// cjkFontCandidates are searched when ui.font_file is empty; the app embeds its own
// copy, this check tells whether the system one exists for other tools.
var cjkFontCandidates = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

func checkFont(_ context.Context, cfg config.Config) []doctorResult {
	r := doctorResult{Check: "CJK font", Status: statusOK}
	paths := cjkFontCandidates
	if cfg.UI.FontFile != "" {
		paths = []string{cfg.UI.FontFile}
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
			if strings.HasSuffix(strings.ToLower(p), ".ttc") {
				r.Status, r.Detail, r.Fix = statusFail, p+" is a .ttc collection", "use a single-face .ttf or .otf (Fyne refuses .ttc)"
				return []doctorResult{r}
			}
			r.Detail = p
			return []doctorResult{r}
		}
	}
	r.Status, r.Detail, r.Fix = statusWarn, "no system CJK font ("+strings.Join(paths, ", ")+"); the app uses its bundled font", "apt-get install fonts-droid-fallback"
	return []doctorResult{r}
}

func checkDatabase(ctx context.Context, cfg config.Config) []doctorResult {
	r := doctorResult{Check: "database", Status: statusOK}
	db, err := store.Open(ctx, cfg.Store.Path, storeOptions(cfg))
	if err != nil {
		r.Status, r.Detail, r.Fix = statusFail, err.Error(), "check store.path and that its folder is writable"
		return []doctorResult{r}
	}
	defer db.Close()
	applied, latest, err := db.SchemaVersion(ctx)
	if err != nil || applied != latest {
		r.Status, r.Detail, r.Fix = statusFail, fmt.Sprintf("schema at %d of %d (%v)", applied, latest, err), "restart the kiosk to migrate"
		return []doctorResult{r}
	}
	r.Detail = fmt.Sprintf("%s, schema %d, writable", cfg.Store.Path, applied)
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(cfg.Store.Path), &st); err == nil {
		free := st.Bavail * uint64(st.Bsize)
		r.Detail += fmt.Sprintf(", %d MiB free", free>>20)
		if free < 100<<20 {
			r.Status, r.Fix = statusFail, "less than 100 MiB free: free disk space"
		}
	}
	out := []doctorResult{r}
	if n, err := db.Pending(ctx); err == nil {
		out = append(out, doctorResult{Check: "outbox", Status: statusOK, Detail: fmt.Sprintf("%d message(s) waiting for the back office", n)})
	}
	a := doctorResult{Check: "audit chain", Status: statusOK}
	if n, err := db.VerifyAudit(ctx); err != nil {
		a.Status, a.Detail, a.Fix = statusFail, err.Error(), "report to DSI security; do not edit the database"
	} else {
		a.Detail = fmt.Sprintf("%d rows, intact", n)
	}
	out = append(out, a)
	if _, err := store.LoadOrCreateSubjectKey(cfg.Store.SubjectKeyFile); err != nil {
		out = append(out, doctorResult{"subject key", statusFail, err.Error(), "check store.subject_key_file"})
	} else {
		out = append(out, doctorResult{"subject key", statusOK, cfg.Store.SubjectKeyFile, ""})
	}
	return out
}

func checkTrustStore(_ context.Context, cfg config.Config) []doctorResult {
	r := doctorResult{Check: "CSCA trust store", Status: statusOK}
	entries, err := os.ReadDir(cfg.Card.TrustStore)
	if err != nil {
		r.Status, r.Detail, r.Fix = statusFail, "cannot read "+cfg.Card.TrustStore+" ("+shortErr(err)+")", "install the CSCA certificates into card.trust_store"
		return []doctorResult{r}
	}
	n := 0
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".pem", ".crt", ".cer", ".der":
			n++
		}
	}
	if n == 0 {
		r.Status, r.Detail, r.Fix = statusFail, "no certificates in "+cfg.Card.TrustStore, "install the CSCA certificates (.pem/.der)"
		return []doctorResult{r}
	}
	r.Detail = fmt.Sprintf("%d certificate file(s) in %s", n, cfg.Card.TrustStore)
	return []doctorResult{r}
}

func shortErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err.Error()
	}
	return err.Error()
}
