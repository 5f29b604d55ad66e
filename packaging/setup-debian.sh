#!/usr/bin/env bash
# Installs every Debian 12 package the kiosk needs to build, test and run.
# Idempotent: packages already present are reported and left alone.
# Usage: packaging/setup-debian.sh [--dry-run]
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config git ca-certificates curl
  # face pipeline: OpenCV 4.6 with DNN, and the ffmpeg backend for recordings
  libopencv-dev opencv-data ffmpeg
  # smart card: PC/SC daemon, headers, and the virtual reader driver (tests and demo only)
  pcscd libpcsclite-dev pcsc-tools vsmartcard-vpcd
  # Fyne (GL, X11, Wayland)
  libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
  libxxf86vm-dev libwayland-dev libxkbcommon-dev
  # headless screens and screenshots
  xvfb xauth imagemagick
  # a CJK font with a single-face .ttf (Fyne refuses .ttc collections)
  fonts-droid-fallback
  # database
  libsqlite3-dev sqlite3


)

dry_run=0
[ "${1:-}" = "--dry-run" ] && dry_run=1

missing=()
for p in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    :
  else
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup-debian: installing ${#missing[@]} missing package(s): ${missing[*]}"
[ "$dry_run" = 1 ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup-debian: must run as root or with sudo available" >&2; exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-debian: done"
