#!/usr/bin/env bash
# Installs every Debian 12 package the kiosk needs to build, test and run.
# Idempotent: packages already present are reported and left alone.
# Usage: packaging/setup-debian.sh [--dry-run] [--production]
#   --production leaves out what only developers and tests need: the vpcd virtual reader
#   (it listens on all addresses and must never be on a kiosk), Xvfb, imagemagick, headers.
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config git ca-certificates curl
  # face pipeline: OpenCV 4.6 with DNN, and the ffmpeg backend for recordings
  libopencv-dev opencv-data ffmpeg
  # smart card: PC/SC daemon, headers, and the virtual reader driver (tests and demo only)
  pcscd libpcsclite-dev pcsc-tools
  # receipts through CUPS (lp, lpstat)
  cups-client
  # Fyne (GL, X11, Wayland)
  libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
  libxxf86vm-dev libwayland-dev libxkbcommon-dev
  # a CJK font with a single-face .ttf (Fyne refuses .ttc collections)
  fonts-droid-fallback
  # database
  libsqlite3-dev sqlite3
  # spoken prompts: Cantonese, Portuguese and English voices (packaging/render-prompts.sh)
  # and aplay to play them (app.WavPlayer)
  espeak-ng alsa-utils


)

DEV_PACKAGES=(
  # virtual card reader for the emulator (tests and demo only)
  vsmartcard-vpcd
  # headless screens and screenshots
  xvfb xauth imagemagick libgl1-mesa-dri poppler-utils  # poppler: printer tests read back the receipt PDF
  # a real CUPS scheduler and the cups-pdf queue the printer tests print through
  # (printer/cupstest runs its own cupsd; CI fails, not skips, without them)
  cups printer-driver-cups-pdf
  # Prometheus server and promtool: packaging/monitoring's test scrapes a running kiosk
  # with it and checks the alert rules (CI fails, not skips, without them)
  prometheus
)

dry_run=0
production=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --production) production=1 ;;
    *) echo "setup-debian: unknown option $arg" >&2; exit 2 ;;
  esac
done
[ "$production" = 1 ] || PACKAGES+=("${DEV_PACKAGES[@]}")

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
