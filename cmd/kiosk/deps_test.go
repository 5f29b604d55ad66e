package main

import (
	"os/exec"
	"strings"
	"testing"
)

// goList runs `go list args...` at the module root (tests run in cmd/kiosk), or skips
// when no go command is on PATH (an installed test binary).
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestOnlyCmdImportsConfig: adapters take their own options and only cmd/ translates
// the configuration into them, so no other package (nor its tests) imports config.
func TestOnlyCmdImportsConfig(t *testing.T) {
	const cfgPkg = modulePath + "/config"
	lines := goList(t, "-e", "-f", `{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`, "./...")
	if len(lines) < 5 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg := f[0]
		if pkg == cfgPkg || strings.HasPrefix(pkg, modulePath+"/cmd/") {
			continue
		}
		for _, imp := range f[1:] {
			if imp == cfgPkg {
				t.Errorf("%s (or its tests) imports config: give it its own options and translate them in cmd/kiosk", pkg)
				break
			}
		}
	}
}

// TestKioskBinaryDoesNotLinkTesting: the production binary must not link the testing
// package (kiosk/kiosktest imports it; the screenshot tour that used kiosktest is
// cmd/kiosk-tour now). The failure names the package that brings it in.
func TestKioskBinaryDoesNotLinkTesting(t *testing.T) {
	deps := goList(t, "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./cmd/kiosk")
	if len(deps) < 50 {
		t.Fatalf("go list -deps found only %d packages", len(deps))
	}
	for _, line := range deps {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if imp == "testing" || strings.HasPrefix(imp, "testing/") {
				t.Errorf("cmd/kiosk links %s through %s", imp, f[0])
			}
		}
	}
}
