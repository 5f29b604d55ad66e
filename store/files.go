package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Until the back office has them, applications hold personal data (a phone number, a
// new photo), so the database and everything beside it are the kiosk user's alone:
// files 0600 in a 0700 folder, whatever the process umask.
const (
	privateDirMode  os.FileMode = 0o700
	privateFileMode os.FileMode = 0o600
)

// prepareFiles makes the database folder (0700) if it is missing, restricts (with a
// warning) an existing one that others can enter if it is this user's own, and refuses
// a shared one (sticky, like /tmp, or another user's) rather than change it. It creates the database file 0600 before SQLite opens it (SQLite
// then gives -wal and -shm the main file's mode) and restricts, with a warning, any
// database, -wal or -shm file an older kiosk left open to others.
func prepareFiles(path string, warn func(string)) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, privateDirMode); err != nil {
			return fmt.Errorf("creating database folder %s: %w", dir, classify(err))
		}
		// MkdirAll's mode passes through the umask; Chmod does not.
		if err := os.Chmod(dir, privateDirMode); err != nil {
			return fmt.Errorf("database folder %s: %w", dir, classify(err))
		}
	case err != nil:
		return fmt.Errorf("database folder %s: %w", dir, classify(err))
	case !fi.IsDir():
		return fmt.Errorf("database folder %s: not a folder", dir)
	case fi.Mode().Perm()&0o077 != 0:
		// Restricted only when it is plainly the kiosk's own: owned by this user and
		// not a shared sticky folder like /tmp. Anything else is refused, not changed.
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || st.Uid != uint32(os.Geteuid()) || fi.Mode()&os.ModeSticky != 0 {
			return fmt.Errorf("database folder %s is mode %04o, open to other users, and is not this user's own folder: "+
				"the database holds personal data; run chmod 700 %s (or give the database its own folder)", dir, fi.Mode().Perm(), dir)
		}
		if err := os.Chmod(dir, privateDirMode); err != nil {
			return fmt.Errorf("database folder %s is mode %04o, open to other users: %w; run chmod 700 %s", dir, fi.Mode().Perm(), classify(err), dir)
		}
		if warn != nil {
			warn(fmt.Sprintf("database folder %s was mode %04o, open to other users; now %04o", dir, fi.Mode().Perm(), privateDirMode))
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateFileMode)
	switch {
	case err == nil:
		cerr := f.Chmod(privateFileMode) // umask-independent
		if err := f.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			return fmt.Errorf("creating %s: %w", path, classify(cerr))
		}
		return nil
	case !errors.Is(err, os.ErrExist):
		return fmt.Errorf("creating %s: %w", path, classify(err))
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := restrictFile(p, warn); err != nil {
			return err
		}
	}
	return nil
}

// restrictFile makes an existing file 0600 if others could read it.
func restrictFile(p string, warn func(string)) error {
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", p, classify(err))
	}
	if fi.Mode().Perm()&^privateFileMode == 0 {
		return nil
	}
	if err := os.Chmod(p, privateFileMode); err != nil {
		return fmt.Errorf("%s is mode %04o, open to other users, and cannot be restricted: %w", p, fi.Mode().Perm(), classify(err))
	}
	if warn != nil {
		warn(fmt.Sprintf("%s was mode %04o, open to other users; now %04o", p, fi.Mode().Perm(), privateFileMode))
	}
	return nil
}
