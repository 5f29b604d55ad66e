package vpcdtest

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/macau-dsi/kiosk/cardio/apdu"
)

// childEnv makes the test binary, run again with this variable set, act as a
// program holding a virtual card (TestChildHoldsCard) until it is killed.
const childEnv = "VPCDTEST_CHILD_STATE"

// TestChildHoldsCard is the child of TestSIGKILLLeavesNothing (skipped otherwise): it
// starts the card, sends a PIN as a resident would (so an APDU log would hold it),
// prints pcscd's PID and waits to be killed.
func TestChildHoldsCard(t *testing.T) {
	state := os.Getenv(childEnv)
	if state == "" {
		t.Skip("run by TestSIGKILLLeavesNothing")
	}
	env, err := Start(context.Background(), Options{StateDir: state})
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	c, err := scard.EstablishContext()
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	card, err := c.Connect(env.ReaderName, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	p := &pcsc{t: t, ctx: c, card: card}
	p.send(apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: []byte{0xF0, 0x44, 0x53, 0x49, 0x00, 0x01}})
	p.send(apdu.Command{INS: apdu.InsVerify, P2: 0x81, Data: []byte(env.Profile.PIN)})
	pid := 0
	if env.pcscd != nil {
		pid = env.pcscd.Process.Pid
	}
	fmt.Printf("READY %d %X\n", pid, env.Profile.PIN) // the test card's PIN, as an APDU log would show it
	time.Sleep(time.Minute)
}

// TestSIGKILLLeavesNothing kills a program holding the card with SIGKILL, which runs
// no cleanup: the pcscd it started must die with it, vpcd must never have listened
// outside pcscd's own network namespace, and nothing it wrote may stay in /tmp.
func TestSIGKILLLeavesNothing(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	// Wait for the machine lock here, so the child does not run out of time on it.
	lock, err := lockMachine(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if pcscdRunning() {
		syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		lock.Close()
		t.Skip("a pcscd this test did not start is running: the child would use it")
	}
	syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	lock.Close()

	// The child's temporary files go to a folder of this test's, so that what other
	// tests running at the same time put in /tmp is not counted as the child's.
	state, tmp := t.TempDir(), t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildHoldsCard$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+state, "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	var pinHex string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ERROR") {
			t.Fatalf("child: %s", line)
		}
		if f := strings.Fields(line); len(f) == 3 && f[0] == "READY" {
			pid, _ = strconv.Atoi(f[1])
			pinHex = f[2]
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the child did not start pcscd")
	}
	// While it runs: vpcd's port is not open on this namespace's interfaces.
	if c, err := net.DialTimeout("tcp", "127.0.0.1:35963", time.Second); err == nil {
		c.Close()
		t.Errorf("vpcd's port 35963 is reachable outside pcscd's namespace")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for pcscdAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if pcscdAlive(pid) {
		syscall.Kill(pid, syscall.SIGKILL) // ours: clean up, then fail
		t.Errorf("pcscd %d outlived the program that started it", pid)
	}
	filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == tmp {
			return nil
		}
		info, _ := d.Info()
		t.Errorf("left behind in the temporary folder: %s (%v)", p, info.Mode())
		if b, err := os.ReadFile(p); err == nil && strings.Contains(strings.ReplaceAll(string(b), " ", ""), pinHex) {
			t.Errorf("%s holds the PIN", p)
		}
		return nil
	})
}
