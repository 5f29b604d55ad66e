package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/macau-dsi/kiosk/printer"
)

// monitoringDir holds the shipped Prometheus configuration, alert rules and dashboard.
var monitoringDir = filepath.Join("packaging", "monitoring")

// requireTool finds a binary installed by packaging/setup-debian.sh. Without it the
// test skips on a developer machine and fails in CI (CI=true), where setup installs it.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (Debian package prometheus, packaging/setup-debian.sh): %v", name, err)
		}
		t.Skipf("skipping: %s not installed (apt-get install prometheus, or packaging/setup-debian.sh)", name)
	}
	return p
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, ok := moduleRoot(wd)
	if !ok {
		t.Fatal("not inside the repository")
	}
	return root
}

// TestPrometheusScrapesKiosk runs Debian's real Prometheus, with the shipped scrape
// job and alert rules, against the real metrics endpoint of a kiosk that has just
// served real sessions (on fakes, with the real store): the metrics must arrive
// through Prometheus' query API, every shipped alert rule must be loaded and
// evaluate, and the printer the test left without paper must raise KioskPrinterOut.
func TestPrometheusScrapesKiosk(t *testing.T) {
	prom := requireTool(t, "prometheus")
	promtool := requireTool(t, "promtool")
	start := time.Now()
	root := repoRoot(t)
	rules := filepath.Join(root, monitoringDir, "dsi-kiosk-alerts.yml")
	shipped := filepath.Join(root, monitoringDir, "prometheus.yml")

	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
	}
	run(promtool, "check", "rules", rules)
	// The shipped file names the certificates of a real centre: syntax only here; the
	// test's copy below gets the full check.
	run(promtool, "check", "config", "--syntax-only", shipped)

	k := startMonitoredKiosk(t, &printer.Error{Reason: `printer of queue "receipts" reports media-empty-error`})
	k.sessions()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, testPrometheusConfig(t, shipped, rules, k.mon.addr()), 0o600); err != nil {
		t.Fatal(err)
	}
	run(promtool, "check", "config", cfgPath)

	addr := freeLoopbackAddr(t)
	var log bytes.Buffer
	cmd := exec.Command(prom, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	// Its own process group, killed with the test process if the test dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		if cmd.Process == nil {
			return
		}
		cmd.Process.Signal(syscall.SIGTERM) // by PID: only the prometheus this test started
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		cmd.Process = nil
	}
	defer stop()
	defer func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s", log.String())
		}
	}()
	launched := time.Now()

	api := "http://" + addr + "/api/v1/"
	// The sessions the kiosk served, scraped by Prometheus.
	for query, want := range map[string]string{
		`up{job="dsi-kiosk"}`: "1",
		`kiosk_sessions_total{job="dsi-kiosk",kiosk="test-kiosk",outcome="completed"}`: "1",
		`kiosk_sessions_total{outcome="cancelled"}`:                                    "1",
		`kiosk_stage_duration_seconds_count{stage="card_read"}`:                        "2",
		`kiosk_outbox_depth`:                                "1",
		`kiosk_audit_chain_ok`:                              "1",
		`kiosk_printer_state{state="no_paper"}`:             "1",
		`count(kiosk_build_info{mode="development"})`:       "1",
		`kiosk_device_up{device="backoffice"}`:              "1",
		`kiosk_health_check_ok{check="audit_chain"}`:        "1",
		`kiosk_outbox_oldest_age_seconds < bool 3600`:       "1",
		`kiosk_in_service`:                                  "1",
		`count(kiosk_stage_duration_seconds_bucket)>bool 0`: "1",
	} {
		waitFor(t, exited, 60*time.Second, "query "+query+" = "+want, func() (bool, string) {
			v, err := queryValue(api, query)
			if err != nil {
				return false, err.Error()
			}
			return v == want, "got " + v
		})
	}
	firstScrape := time.Since(launched)

	// Every shipped alert rule is loaded and has been evaluated without error.
	wantAlerts := alertNames(t, rules)
	waitFor(t, exited, 30*time.Second, "every alert rule loaded and healthy", func() (bool, string) {
		var r struct {
			Data struct {
				Groups []struct {
					Rules []struct {
						Name, Health, Type, LastError string
					}
				}
			}
		}
		if err := getJSON(api+"rules", &r); err != nil {
			return false, err.Error()
		}
		got := map[string]string{}
		for _, g := range r.Data.Groups {
			for _, rule := range g.Rules {
				if rule.Type == "alerting" {
					got[rule.Name] = rule.Health + " " + rule.LastError
				}
			}
		}
		for _, name := range wantAlerts {
			if strings.TrimSpace(got[name]) != "ok" {
				return false, fmt.Sprintf("%s: %q (loaded: %v)", name, got[name], got)
			}
		}
		return true, ""
	})
	// The printer without paper raises its alert (pending for its "for: 1m").
	waitFor(t, exited, 30*time.Second, "KioskPrinterOut pending or firing", func() (bool, string) {
		var r struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string
					State  string
				}
			}
		}
		if err := getJSON(api+"alerts", &r); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, a := range r.Data.Alerts {
			seen = append(seen, a.Labels["alertname"]+"/"+a.State)
			if a.Labels["alertname"] == "KioskPrinterOut" && a.Labels["state"] == "no_paper" && a.Labels["kiosk"] == "test-kiosk" {
				return true, ""
			}
		}
		return false, fmt.Sprint(seen)
	})
	// Every metric an alert watches exists: a misspelt name would leave its alert
	// silent for ever.
	for _, name := range alertMetrics(t, rules) {
		if n, err := querySeries(api, `count({__name__="`+name+`"})`); err != nil || n != 1 {
			t.Errorf("alert rules use %s, which the kiosk does not export (%v)", name, err)
		}
	}
	// Every dashboard query is valid PromQL over these metrics, and the panels that
	// show the sessions and the devices have data.
	panels := 0
	for _, q := range dashboardQueries(t, filepath.Join(root, monitoringDir, "grafana-dashboard.json")) {
		n, err := querySeries(api, q.expr)
		if err != nil {
			t.Errorf("dashboard panel %q: %s: %v", q.panel, q.expr, err)
		}
		if n > 0 {
			panels++
		}
	}
	if panels < 8 {
		t.Errorf("only %d dashboard queries returned data", panels)
	}
	stop()
	t.Logf("timing: whole test %v; prometheus start to all metrics queried %v; %d alert rules loaded",
		time.Since(start).Round(time.Millisecond), firstScrape.Round(time.Millisecond), len(wantAlerts))
}

// testPrometheusConfig is the shipped configuration with its dsi-kiosk job pointed at
// the test's kiosk (plain HTTP on loopback, no file_sd), second-level intervals, and
// the rules file by absolute path.
func testPrometheusConfig(t *testing.T, shipped, rules, target string) []byte {
	t.Helper()
	b, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	global, _ := c["global"].(map[string]any)
	if global == nil {
		t.Fatal("shipped prometheus.yml has no global section")
	}
	global["scrape_interval"], global["evaluation_interval"] = "1s", "1s"
	c["rule_files"] = []string{rules}
	jobs, _ := c["scrape_configs"].([]any)
	found := false
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		if job["job_name"] != "dsi-kiosk" {
			continue
		}
		found = true
		delete(job, "scheme")
		delete(job, "tls_config")
		delete(job, "file_sd_configs")
		job["scrape_timeout"] = "1s"
		job["static_configs"] = []any{map[string]any{
			"targets": []string{target},
			"labels":  map[string]string{"centre": "test", "kiosk": "test-kiosk"},
		}}
	}
	if !found {
		t.Fatal("shipped prometheus.yml has no dsi-kiosk job")
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// alertNames lists the alerts of a rules file.
func alertNames(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				names = append(names, r.Alert)
			}
		}
	}
	sort.Strings(names)
	if len(names) < 5 {
		t.Fatalf("only %d alerts in %s", len(names), path)
	}
	return names
}

// alertMetrics lists the metric names the alert expressions use.
func alertMetrics(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Expr string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			for _, m := range metricNameRE.FindAllString(r.Expr, -1) {
				seen[m] = true
			}
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var metricNameRE = regexp.MustCompile(`\b(kiosk_[a-z_]+|up)\b`)

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitFor polls ok every 200 ms until it holds, prometheus exits, or timeout.
func waitFor(t *testing.T, exited <-chan error, timeout time.Duration, what string, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		var done bool
		if done, last = ok(); done {
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited (%v) while waiting for %s", err, what)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("waiting for %s: %s", what, last)
}

var apiClient = &http.Client{Timeout: 5 * time.Second}

func getJSON(u string, v any) error {
	resp, err := apiClient.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// queryValue runs an instant query that must return one sample and gives its value.
func queryValue(api, query string) (string, error) {
	var r struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := getJSON(api+"query?query="+url.QueryEscape(query), &r); err != nil {
		return "", err
	}
	if len(r.Data.Result) != 1 {
		return "", fmt.Errorf("%d series", len(r.Data.Result))
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v, nil
}

type dashboardQuery struct{ panel, expr string }

// dashboardQueries reads the Grafana dashboard's panel queries with its variables set
// to "all" and the rate interval to a minute.
func dashboardQueries(t *testing.T, path string) []dashboardQuery {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	vars := strings.NewReplacer("$centre", ".*", "$kiosk", ".*", "$__rate_interval", "1m")
	var out []dashboardQuery
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, dashboardQuery{p.Title, vars.Replace(tg.Expr)})
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d queries in %s", len(out), path)
	}
	return out
}

// querySeries runs an instant query and counts the series it returned.
func querySeries(api, query string) (int, error) {
	var r struct {
		Status, Error string
		Data          struct{ Result []json.RawMessage }
	}
	resp, err := apiClient.Get(api + "query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("%s: %s", r.Status, r.Error)
	}
	return len(r.Data.Result), nil
}
