// Package packaging_test checks the kiosk's Debian package: what is in it, with which
// owners and modes, what it depends on, and (DSI_KIOSK_INSTALL_TEST=1, `make
// package-install-test`) that it installs into a fresh Debian 12 root where `kiosk
// doctor` runs as the unprivileged account.
package packaging_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// buildDeb builds the package once per test binary from this tree (binary and files
// from the same commit, so the sample configuration matches the binary that reads it).
var (
	debOnce sync.Once
	debPath string
	debErr  error
)

func buildDeb(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"dpkg-deb", "dpkg-shlibdeps", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing (dpkg-dev)", tool)
			}
			t.Skipf("%s missing (dpkg-dev)", tool)
		}
	}
	debOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dsi-kiosk-deb-")
		if err != nil {
			debErr = err
			return
		}
		out, err := exec.Command("bash", "build-deb.sh", "--out", dir, "--version", "0.0-test").CombinedOutput()
		if err != nil {
			debErr = fmt.Errorf("build-deb.sh: %v\n%s", err, out)
			return
		}
		debPath = strings.TrimSpace(string(out[bytes.LastIndexByte(bytes.TrimSpace(out), '\n')+1:]))
	})
	if debErr != nil {
		t.Fatal(debErr)
	}
	return debPath
}

// TestMain removes the package the tests shared.
func TestMain(m *testing.M) {
	code := m.Run()
	if debPath != "" {
		os.RemoveAll(filepath.Dir(debPath))
	}
	os.Exit(code)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestDebContents reads the archive with dpkg-deb: every file root:root with the
// mode it needs, the configuration a conffile never readable by others, the units
// and rules in place, and the Debian dependencies declared.
func TestDebContents(t *testing.T) {
	deb := buildDeb(t)
	entries := map[string]string{} // path -> "mode owner/group"
	sc := bufio.NewScanner(strings.NewReader(run(t, "dpkg-deb", "--contents", deb)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			continue
		}
		path := strings.TrimSuffix(strings.TrimPrefix(f[len(f)-1], "."), "/")
		if path == "" {
			path = "/"
		}
		entries[path] = f[0] + " " + f[1]
		if f[1] != "root/root" {
			t.Errorf("%s owned by %s, want root/root (the account exists only after postinst)", path, f[1])
		}
	}
	want := []struct{ path, mode string }{
		{"/usr/bin/kiosk", "-rwxr-xr-x"},
		{"/etc/dsi-kiosk", "drwxr-x---"},
		{"/etc/dsi-kiosk/kiosk.yaml", "-rw-r-----"},
		{"/usr/share/dsi-kiosk/models/manifest.txt", "-rw-r--r--"},
		{"/usr/share/dsi-kiosk/fetch-models.sh", "-rwxr-xr-x"},
		{"/lib/systemd/system/dsi-kiosk.service", "-rw-r--r--"},
		{"/lib/systemd/system/dsi-kiosk-models.service", "-rw-r--r--"},
		{"/lib/udev/rules.d/99-dsi-kiosk.rules", "-rw-r--r--"},
		{"/usr/share/doc/dsi-kiosk/copyright", "-rw-r--r--"},
	}
	for _, w := range want {
		got, ok := entries[w.path]
		if !ok {
			t.Errorf("%s not in the package", w.path)
			continue
		}
		if mode := strings.Fields(got)[0]; mode != w.mode {
			t.Errorf("%s mode %s, want %s", w.path, mode, w.mode)
		}
	}
	for p := range entries {
		if strings.HasPrefix(p, "/var/lib/dsi-kiosk") {
			t.Errorf("%s shipped: the state folder is made by postinst for the kiosk account alone", p)
		}
	}

	if got := strings.TrimSpace(run(t, "dpkg-deb", "--ctrl-tarfile", deb)); got == "" {
		t.Fatal("no control archive")
	}
	ctrl := t.TempDir()
	run(t, "dpkg-deb", "--control", deb, ctrl)
	conffiles, _ := os.ReadFile(filepath.Join(ctrl, "conffiles"))
	if strings.TrimSpace(string(conffiles)) != "/etc/dsi-kiosk/kiosk.yaml" {
		t.Errorf("conffiles = %q, want the configuration only", conffiles)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		fi, err := os.Stat(filepath.Join(ctrl, s))
		if err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("maintainer script %s: %v %v", s, err, fi)
			continue
		}
		run(t, "sh", "-n", filepath.Join(ctrl, s))
	}

	depends := strings.TrimSpace(run(t, "dpkg-deb", "--field", deb, "Depends"))
	have := map[string]bool{}
	for _, d := range strings.Split(depends, ",") {
		have[strings.Fields(d)[0]] = true
	}
	for _, p := range []string{
		// linked (dpkg-shlibdeps): OpenCV 4.6 runtime, PC/SC, GL
		"libopencv-core406", "libopencv-dnn406", "libopencv-imgproc406", "libopencv-imgcodecs406",
		"libopencv-videoio406", "libopencv-objdetect406", "libpcsclite1", "libgl1", "libc6",
		// opened by GLFW at run time
		"libx11-6", "libxkbcommon0", "libwayland-egl1", "libegl1",
		// what the kiosk drives and the set-up steps use
		"pcscd", "libccid", "cups-client", "cage", "fonts-droid-fallback", "adduser", "curl", "openssl", "ca-certificates",
	} {
		if !have[p] {
			t.Errorf("Depends lacks %s: %s", p, depends)
		}
	}
	for p := range have {
		if strings.HasSuffix(p, "-dev") || p == "vsmartcard-vpcd" || p == "xvfb" {
			t.Errorf("Depends has the development package %s", p)
		}
	}
}

// TestPackagedConfigLoads: the configuration the package installs is one the packaged
// binary accepts (kiosk config check), so a fresh install does not stop on exit 2.
func TestPackagedConfigLoads(t *testing.T) {
	deb := buildDeb(t)
	root := t.TempDir()
	run(t, "dpkg-deb", "--extract", deb, root)
	cmd := exec.Command(filepath.Join(root, "usr/bin/kiosk"), "config", "check", "--config", filepath.Join(root, "etc/dsi-kiosk/kiosk.yaml"))
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("kiosk config check on the packaged kiosk.yaml: %v\n%s", err, out)
	}
}

// TestUnits: the service is what keeps the machine a kiosk: notify + watchdog from the
// UI, restarted always, the unprivileged account, cage and nothing else, the journal.
func TestUnits(t *testing.T) {
	unit, err := os.ReadFile("systemd/dsi-kiosk.service")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	for _, line := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = append(keys[k], v)
		}
	}
	for _, w := range []struct{ key, re string }{
		{"Type", `^notify$`},
		{"NotifyAccess", `^all$`},
		{"WatchdogSec", `^[0-9]+s$`},
		{"Restart", `^always$`},
		{"User", `^dsi-kiosk$`},
		{"Group", `^dsi-kiosk$`},
		{"ExecStart", `^/usr/bin/cage -d -- /usr/bin/kiosk run$`},
		{"StandardError", `^journal$`},
		{"StateDirectoryMode", `^0700$`},
		{"Requires", `dsi-kiosk-models\.service`},
		{"NoNewPrivileges", `^yes$`},
	} {
		vs := keys[w.key]
		if len(vs) != 1 || !regexp.MustCompile(w.re).MatchString(vs[0]) {
			t.Errorf("dsi-kiosk.service %s=%q, want one value matching %s", w.key, vs, w.re)
		}
	}
	if strings.Contains(keys["ExecStart"][0], " -s") {
		t.Error("cage -s allows switching to another VT")
	}
}
