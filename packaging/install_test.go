package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// installEnv turns on TestInstallInDebianRoot (make package-install-test): it needs
// root, debootstrap and the Debian mirror and npm registry, and takes minutes.
const installEnv = "DSI_KIOSK_INSTALL_TEST"

// TestInstallInDebianRoot installs the package into a throwaway Debian 12 root made by
// debootstrap (apt resolves Depends from the mirror, as on a kiosk), then checks the
// account, owners and modes, the units (systemd-analyze verify), fetches the models as
// dsi-kiosk-models.service does, runs `kiosk config check` and `kiosk doctor` as the
// kiosk account, and purges.
func TestInstallInDebianRoot(t *testing.T) {
	if os.Getenv(installEnv) != "1" {
		t.Skipf("set %s=1 (make package-install-test): debootstrap + apt install, a few minutes, root", installEnv)
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root (debootstrap, chroot)")
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		t.Fatal("debootstrap missing: apt-get install debootstrap")
	}
	deb := buildDeb(t)
	root := filepath.Join(t.TempDir(), "root")
	step := func(name string, f func()) {
		t.Helper()
		start := time.Now()
		f()
		t.Logf("%-28s %v", name, time.Since(start).Round(time.Second))
	}
	chroot := func(args ...string) (string, error) {
		cmd := exec.Command("chroot", append([]string{root}, args...)...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := chroot(args...)
		if err != nil {
			t.Fatalf("chroot %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	step("debootstrap bookworm", func() {
		run(t, "debootstrap", "--variant=minbase", "bookworm", root, "http://deb.debian.org/debian")
	})
	if err := syscall.Mount("proc", filepath.Join(root, "proc"), "proc", 0, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(filepath.Join(root, "proc"), syscall.MNT_DETACH) })
	run(t, "cp", deb, filepath.Join(root, "tmp", "dsi-kiosk.deb"))
	step("apt-get install the .deb", func() {
		must("apt-get", "update", "-qq")
		must("apt-get", "install", "-y", "-qq", "--no-install-recommends", "/tmp/dsi-kiosk.deb")
	})

	// The account: a system user, no login shell, in group video.
	pw := strings.Split(strings.TrimSpace(must("getent", "passwd", "dsi-kiosk")), ":")
	if len(pw) != 7 || pw[6] != "/usr/sbin/nologin" || pw[5] != "/var/lib/dsi-kiosk" {
		t.Errorf("dsi-kiosk account %q", pw)
	}
	if groups := must("id", "-nG", "dsi-kiosk"); !strings.Contains(groups, "video") {
		t.Errorf("dsi-kiosk groups %q, want video for the webcam", groups)
	}
	stat := func(path string) string {
		return strings.TrimSpace(must("stat", "-c", "%a %U:%G", path))
	}
	for _, w := range []struct{ path, want string }{
		{"/var/lib/dsi-kiosk", "700 dsi-kiosk:dsi-kiosk"},
		{"/etc/dsi-kiosk", "750 root:dsi-kiosk"},
		{"/etc/dsi-kiosk/kiosk.yaml", "640 root:dsi-kiosk"},
		{"/usr/bin/kiosk", "755 root:root"},
		{"/lib/udev/rules.d/99-dsi-kiosk.rules", "644 root:root"},
	} {
		if got := stat(w.path); got != w.want {
			t.Errorf("%s is %s, want %s", w.path, got, w.want)
		}
	}
	for _, u := range []string{"graphical.target.wants/dsi-kiosk.service", "multi-user.target.wants/dsi-kiosk-models.service"} {
		if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system", u)); err != nil {
			t.Errorf("unit not enabled: %v", err)
		}
	}
	step("systemd-analyze verify", func() {
		if _, err := chroot("test", "-x", "/usr/bin/systemd-analyze"); err != nil {
			must("apt-get", "install", "-y", "-qq", "--no-install-recommends", "systemd")
		}
		out := must("systemd-analyze", "verify", "/lib/systemd/system/dsi-kiosk.service", "/lib/systemd/system/dsi-kiosk-models.service")
		if strings.TrimSpace(out) != "" {
			t.Errorf("systemd-analyze verify:\n%s", out)
		}
	})

	// The root trusts the CAs the host added (a CI runner's HTTPS proxy), as the host
	// does; a kiosk has only Debian's bundle, which the npm registry needs.
	if extra, _ := filepath.Glob("/usr/local/share/ca-certificates/*.crt"); len(extra) > 0 {
		run(t, "cp", append(extra, filepath.Join(root, "usr/local/share/ca-certificates"))...)
		must("update-ca-certificates")
	}
	// As dsi-kiosk-models.service runs it: the npm package, its sha512, each SHA-256.
	step("fetch models (npm)", func() {
		must("runuser", "-u", "dsi-kiosk", "--", "env", "KIOSK_MODELS_MANIFEST=/usr/share/dsi-kiosk/models/manifest.txt",
			"HOME=/var/lib/dsi-kiosk", "/usr/share/dsi-kiosk/fetch-models.sh", "/var/lib/dsi-kiosk/models")
	})
	must("runuser", "-u", "dsi-kiosk", "--", "kiosk", "config", "check")
	// Another unprivileged account reads neither the configuration nor the data.
	must("useradd", "--system", "other")
	if out, err := chroot("runuser", "-u", "other", "--", "cat", "/etc/dsi-kiosk/kiosk.yaml"); err == nil {
		t.Errorf("another account reads kiosk.yaml:\n%s", out)
	}
	if out, err := chroot("runuser", "-u", "other", "--", "ls", "/var/lib/dsi-kiosk"); err == nil {
		t.Errorf("another account lists /var/lib/dsi-kiosk:\n%s", out)
	}

	var doctor string
	step("kiosk doctor", func() {
		// Exit 1 is expected: a build root has no pcscd, camera or CSCA certificates.
		doctor, _ = chroot("runuser", "-u", "dsi-kiosk", "--", "kiosk", "doctor")
	})
	t.Logf("kiosk doctor in the fresh root:\n%s", doctor)
	rows := map[string]string{}
	for _, line := range strings.Split(doctor, "\n") {
		f := strings.Fields(line)
		for i := 1; i < len(f); i++ {
			if f[i] == "OK" || f[i] == "FAIL" || f[i] == "WARN" {
				rows[strings.Join(f[:i], " ")] = f[i]
				break
			}
		}
	}
	for _, check := range []string{"config", "OpenCV", "model fr_detect.onnx", "model fr_feature.onnx", "model fr_liveness.onnx", "CJK font", "database", "audit chain", "subject key"} {
		if rows[check] != "OK" {
			t.Errorf("doctor %q = %q, want OK", check, rows[check])
		}
	}
	for _, f := range []string{"/var/lib/dsi-kiosk/kiosk.db", "/var/lib/dsi-kiosk/subject.key"} {
		if got := stat(f); !strings.HasSuffix(got, " dsi-kiosk:dsi-kiosk") || got[0] != '6' || got[1:3] != "00" {
			t.Errorf("%s is %s, want 600 dsi-kiosk:dsi-kiosk", f, got)
		}
	}

	step("dpkg --purge", func() { must("dpkg", "--purge", "dsi-kiosk") })
	if _, err := os.Stat(filepath.Join(root, "var/lib/dsi-kiosk")); !os.IsNotExist(err) {
		t.Errorf("/var/lib/dsi-kiosk after purge: %v", err)
	}
	// --list exits 1 when there is no override at all.
	if out, _ := chroot("dpkg-statoverride", "--list"); strings.Contains(out, "dsi-kiosk") {
		t.Errorf("statoverrides left after purge:\n%s", out)
	}
}
