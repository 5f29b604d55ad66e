package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The audit chain is keyed and anchored:
//
//   - Each row's hash is HMAC-SHA256 over the previous hash and the row's fields, with
//     a 32-byte key kept in its own file (store.audit_key_file, 0600, created on first
//     use). Without the key nobody can recompute the chain after editing a row.
//   - After every committed append the head (row number and MAC) is written to an
//     anchor file beside the key (audit.head: temp file, fsync, rename, 0600), tagged
//     with the key so that it cannot be made up from the database's own rows. Deleting
//     the last rows leaves the database ending before the anchor. The head also goes
//     with each outbox message (outbox.audit_head), so the back office holds it too:
//     that copy is what catches someone who rolls back the database and the anchor
//     file together.
//
// Crash window: the anchor is written after the commit (never before, which would
// anchor a row that may not exist). A crash in between leaves the database exactly one
// row ahead of the anchor; VerifyAudit accepts that one row (every write transaction
// appends exactly one audit row) and the next append moves the anchor on. The price:
// right after such a crash, deleting that one unanchored row is not caught locally,
// only by the back office's copy of the head.

// keyLen is the length of every key file the store keeps (audit and subject keys).
const keyLen = 32

// loadOrCreateKey reads a key file, creating it (0600, in a 0700 folder) when it is
// missing and create is true.
func loadOrCreateKey(path, what string, create bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key := make([]byte, keyLen)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("creating %s: %w", what, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), privateDirMode); err != nil {
			return nil, fmt.Errorf("creating %s: %w", what, classify(err))
		}
		// O_EXCL: two processes starting at once must not each write a different key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, privateFileMode)
		if errors.Is(err, os.ErrExist) {
			return loadOrCreateKey(path, what, create)
		}
		if err != nil {
			return nil, fmt.Errorf("creating %s: %w", what, classify(err))
		}
		_, werr := f.Write(key)
		if werr == nil {
			werr = f.Sync()
		}
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("writing %s: %w", what, classify(werr))
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, path, classify(err))
	}
	if len(b) != keyLen {
		return nil, fmt.Errorf("%s %s: want %d bytes, file has %d (restore it from backup)", what, path, keyLen, len(b))
	}
	return b, nil
}

// AnchorPath is where the audit head is anchored for a given audit key file.
func AnchorPath(auditKeyFile string) string {
	return filepath.Join(filepath.Dir(auditKeyFile), "audit.head")
}

// auditHead is the last row of the chain: its number and its hash (MAC).
type auditHead struct {
	Seq int64
	MAC string
}

func (h auditHead) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.MAC }

const anchorMagic = "dsi-kiosk-audit-head v1"

// anchorTag binds an anchor to the key: a head copied from the database's own rows
// (or made up) does not carry a valid tag.
func anchorTag(key []byte, h auditHead) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "anchor;%d;%s", h.Seq, h.MAC)
	return hex.EncodeToString(m.Sum(nil))
}

// errNoAnchor: the anchor file does not exist.
var errNoAnchor = errors.New("audit anchor missing")

// readAnchor reads and checks the anchor file.
func readAnchor(path string, key []byte) (auditHead, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return auditHead{}, errNoAnchor
	}
	if err != nil {
		return auditHead{}, fmt.Errorf("audit anchor %s: %w", path, classify(err))
	}
	f := strings.Fields(strings.TrimPrefix(string(b), anchorMagic))
	if !strings.HasPrefix(string(b), anchorMagic) || len(f) != 3 {
		return auditHead{}, fmt.Errorf("audit anchor %s: not an anchor file", path)
	}
	seq, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || seq < 1 {
		return auditHead{}, fmt.Errorf("audit anchor %s: bad row number %q", path, f[0])
	}
	h := auditHead{Seq: seq, MAC: f[1]}
	if !hmac.Equal([]byte(f[2]), []byte(anchorTag(key, h))) {
		return auditHead{}, fmt.Errorf("audit anchor %s: its tag does not verify with the audit key: the file was made up or the key replaced", path)
	}
	return h, nil
}

// writeAnchor replaces the anchor file atomically: a crash leaves the old anchor or
// the new one, never a torn file.
func writeAnchor(path string, key []byte, h auditHead) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".audit.head-*")
	if err != nil {
		return fmt.Errorf("audit anchor: %w", classify(err))
	}
	tmp := f.Name()
	_, werr := fmt.Fprintf(f, "%s %d %s %s\n", anchorMagic, h.Seq, h.MAC, anchorTag(key, h))
	if werr == nil {
		werr = f.Chmod(privateFileMode) // CreateTemp makes 0600; kept explicit
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("audit anchor: %w", classify(werr))
	}
	// The rename is durable only once the folder is synced.
	if df, err := os.Open(dir); err == nil {
		df.Sync()
		df.Close()
	}
	return nil
}

// anchorLock serialises "commit an audit row, then move the anchor" between
// processes (the kiosk and a staff command), so that anchors are written in commit
// order, and lets VerifyAudit read the database and the anchor as one state.
type anchorLock struct{ f *os.File }

func openAnchorLock(anchorPath string, readOnly bool) (*anchorLock, error) {
	flag := os.O_RDWR | os.O_CREATE
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(anchorPath+".lock", flag, privateFileMode)
	if err != nil {
		if readOnly && errors.Is(err, os.ErrNotExist) {
			return &anchorLock{}, nil // no writer ever ran
		}
		return nil, fmt.Errorf("audit anchor lock: %w", classify(err))
	}
	return &anchorLock{f: f}, nil
}

// lockWait bounds the wait for another process's write, like SQLite's busy timeout.
const lockWait = 5 * time.Second

// lock takes the lock (shared for readers) and returns its release; it gives up when
// ctx ends or after lockWait, so a stuck process cannot hang a staff command.
func (l *anchorLock) lock(ctx context.Context, exclusive bool) (func(), error) {
	if l == nil || l.f == nil {
		return func() {}, nil
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := syscall.Flock(int(l.f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN) }, nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			return nil, fmt.Errorf("audit anchor lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("audit log is busy: another kiosk process holds %s: %w", l.f.Name(), ErrBusy)
		case <-time.After(wait):
		}
	}
}

func (l *anchorLock) close() {
	if l != nil && l.f != nil {
		l.f.Close()
	}
}
