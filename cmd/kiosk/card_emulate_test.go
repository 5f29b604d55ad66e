package main

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
)

func TestCardEmulateRefusals(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("document_number: x\n"), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"production mode", map[string]string{"KIOSK_KIOSK_MODE": "production"}, nil, "production"},
		{"wrong port", map[string]string{"KIOSK_KIOSK_MODE": "development"}, []string{"--reader-port", "35965"}, "35963 or 35964"},
		{"bad profile", map[string]string{"KIOSK_KIOSK_MODE": "demo"}, []string{"--reader-port", "35963", "--profile", bad}, "bad card profile"},
		{"missing profile", map[string]string{"KIOSK_KIOSK_MODE": "demo"}, []string{"--reader-port", "35963", "--profile", bad + ".none"}, "reading profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.env, append([]string{"card", "emulate"}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, tc.want)
			}
		})
	}
}

// emulateChildEnv makes the test binary, run again with it set to a state folder, be
// `kiosk card emulate --state DIR` (TestCardEmulateChild), for a test that kills it.
const emulateChildEnv = "DSI_TEST_EMULATE_STATE" // not KIOSK_*: config refuses unknown KIOSK_ variables

// TestCardEmulateChild is `kiosk card emulate` inside the process
// TestCardEmulateSIGKILLLeavesNothing kills; skipped otherwise.
func TestCardEmulateChild(t *testing.T) {
	state := os.Getenv(emulateChildEnv)
	if state == "" {
		t.Skip("run by TestCardEmulateSIGKILLLeavesNothing")
	}
	t.Setenv("KIOSK_KIOSK_MODE", "development")
	configFile = ""
	rootCmd.SetOut(os.Stdout)
	rootCmd.SetErr(os.Stderr)
	rootCmd.SetArgs([]string{"card", "emulate", "--state", state})
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
}

// TestCardEmulateSIGKILLLeavesNothing kills `kiosk card emulate` with SIGKILL (no
// cleanup runs): the pcscd it started must die with it, and nothing it wrote may
// stay in /tmp. Before, pcscd kept running (vpcd on 0.0.0.0:35963) and its APDU log
// stayed in /tmp, mode 0644, with the PIN of every VERIFY in clear.
func TestCardEmulateSIGKILLLeavesNothing(t *testing.T) {
	if err := vpcdtest.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	tmp := t.TempDir()
	cmd, _, _ := startEmulateChild(t, tmp)
	pcscd := childrenNamed(cmd.Process.Pid, "pcscd")
	if len(pcscd) != 1 {
		t.Fatalf("card emulate runs %d pcscd children, want 1", len(pcscd))
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for running(pcscd[0]) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if running(pcscd[0]) {
		syscall.Kill(pcscd[0], syscall.SIGKILL) // ours: clean up, then fail
		t.Errorf("pcscd %d outlived `card emulate`", pcscd[0])
	}
	filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != tmp {
			info, _ := d.Info()
			t.Errorf("left behind in the temporary folder: %s (%v)", p, info.Mode())
		}
		return nil
	})
}

// startEmulateChild runs `kiosk card emulate` as a child process (this test binary
// as TestCardEmulateChild) and returns once its card is in the reader, with the
// reader's name and the trust store it printed. The child is killed at cleanup.
// Its temporary folder (TMPDIR, /tmp's stand-in) is tmp, so that a test can tell
// what it left from what other tests running at the same time put in /tmp.
func startEmulateChild(t *testing.T, tmp string) (cmd *exec.Cmd, reader, trust string) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestCardEmulateChild$")
	cmd.Env = append(os.Environ(), emulateChildEnv+"="+t.TempDir(), "TMPDIR="+tmp)
	stdin, _ := cmd.StdinPipe() // kept open: EOF on stdin is no reason to stop
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
		stdin.Close()
	})
	sc := bufio.NewScanner(out)
	var said strings.Builder
	for sc.Scan() {
		line := sc.Text()
		said.WriteString(line + "\n")
		if r, ok := strings.CutPrefix(line, "Card inserted into "); ok {
			reader, _ = strconv.QuotedPrefix(r)
			reader, _ = strconv.Unquote(reader)
		}
		if p, ok := strings.CutPrefix(line, "Trust store (CSCA): "); ok {
			trust = p
		}
		if strings.HasPrefix(line, "Enter: pull/insert") {
			break
		}
	}
	if reader == "" || trust == "" {
		t.Fatalf("card emulate did not start: %s%s", said.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "Using the pcscd already running") {
		t.Skip("a pcscd this test did not start is running: card emulate used it")
	}
	go io.Copy(io.Discard, out)
	return cmd, reader, trust
}

// TestCardReadFromStoppedEmulator is issue 9.1 as reported: `kiosk card read` while
// the emulator process is stopped (SIGSTOP) must fail with a timeout within
// card.read_timeout, not block; after SIGCONT the next read works.
func TestCardReadFromStoppedEmulator(t *testing.T) {
	if err := vpcdtest.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	cmd, reader, trust := startEmulateChild(t, t.TempDir())
	vars := map[string]string{"KIOSK_KIOSK_MODE": "development", "KIOSK_CARD_TRUST_STORE": trust, "KIOSK_CARD_READ_TIMEOUT": "2s"}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, stderr, code := run(t, vars, "card", "read", "--reader", reader, "--allow-virtual")
		done <- result{stderr, code}
	}()
	select {
	case r := <-done:
		took := time.Since(start)
		if r.code == exitOK || !strings.Contains(r.stderr, "did not answer in time") {
			t.Errorf("exit %d, stderr %q; want a timeout", r.code, r.stderr)
		}
		if took > 3*time.Second {
			t.Errorf("failed after %v, card.read_timeout is 2s", took)
		}
		t.Logf("stopped emulator: card read failed after %v: %s", took.Round(time.Millisecond), strings.TrimSpace(r.stderr))
	case <-time.After(30 * time.Second):
		cmd.Process.Signal(syscall.SIGCONT)
		t.Fatalf("card read still blocked 30 s after the emulator stopped (card.read_timeout 2s)")
	}
	cmd.Process.Signal(syscall.SIGCONT)
	if stdout, stderr, code := run(t, vars, "card", "read", "--reader", reader, "--allow-virtual"); code != exitOK {
		t.Fatalf("read after SIGCONT: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// childrenNamed lists the PIDs of parent's children running the command name.
func childrenNamed(parent int, name string) []int {
	var out []int
	es, _ := os.ReadDir("/proc")
	for _, e := range es {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "("+name) {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(parent) {
			out = append(out, pid)
		}
	}
	return out
}

// running says whether pid runs (a zombie nobody reaped counts as gone).
func running(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && len(s) > i+2 && s[i+2] != 'Z'
}
