#!/bin/sh
# X session for the kiosk account: no desktop, no screen blanking, no window manager
# decorations; the kiosk window is full-screen. Restarts the kiosk if it exits.
xset s off -dpms s noblank 2>/dev/null || true
while true; do
  /usr/bin/kiosk run
  [ $? -eq 2 ] && { echo "kiosk: configuration error, not restarting" >&2; sleep 3600; }
  sleep 2
done
