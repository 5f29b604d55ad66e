package main

import (
	"context"
	"log/slog"
	"os"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/cmd/kiosk/internal/sdnotify"
)

// systemdNotifier reads systemd's notify variables for `kiosk run` and removes them
// from the environment, so that what the kiosk starts (pcscd in demo mode, lp) does
// not talk to systemd in the kiosk's name. Outside systemd it sends nothing.
func systemdNotifier() *sdnotify.Notifier {
	n, err := sdnotify.New(os.Getenv, os.Getpid(), os.Getppid())
	for _, k := range []string{sdnotify.EnvSocket, sdnotify.EnvWatchdogUS, sdnotify.EnvWatchdogPID} {
		os.Unsetenv(k)
	}
	if err != nil {
		// Without the socket systemd never hears READY=1 and restarts the kiosk after
		// TimeoutStartSec, with this line in the journal.
		slog.Error("systemd notify", "error", err)
		return &sdnotify.Notifier{}
	}
	if n.Enabled() {
		slog.Info("systemd notify", "watchdog", n.Watchdog(), "heartbeat", n.BeatInterval())
	}
	return n
}

// startHeartbeat feeds systemd from the UI's heartbeat until ctx ends: READY=1 once
// Fyne's goroutine runs (the window is up), WATCHDOG=1 every BeatInterval while it
// keeps running. do is fyne.Do when nil.
func startHeartbeat(ctx context.Context, n *sdnotify.Notifier, do func(func())) {
	if !n.Enabled() {
		return
	}
	go kioskapp.Heartbeat(ctx, n.BeatInterval(), do, n.Beat)
}
