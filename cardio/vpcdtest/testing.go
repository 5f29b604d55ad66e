package vpcdtest

import (
	"context"
	"errors"
)

// TB is the part of testing.TB that StartT uses (declared here so that non-test
// users of this package do not link the testing package).
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// StartT is Start for tests: it skips the test when pcscd or vpcd is not available
// (saying why), fails it on other errors, and closes the environment at cleanup.
func StartT(t TB, opts Options) *Env {
	t.Helper()
	env, err := Start(context.Background(), opts)
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("skipping: %v", err)
		return nil
	}
	if err != nil {
		t.Fatalf("starting the virtual card: %v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("closing the virtual card: %v", err)
		}
	})
	return env
}
