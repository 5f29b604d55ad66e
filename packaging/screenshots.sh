#!/usr/bin/env bash
# Screenshots of every kiosk screen in every language, taken from the real binary in
# its real (OpenGL) window under Xvfb: cmd/kiosk-tour shows the sample snapshot of
# each screen (kiosk/kiosktest.Samples) and announces it on stdout; this script grabs
# the X screen with ImageMagick's `import` and tells the tour to go on. The tour is its
# own binary so that the kiosk's production binary does not link test code.
#
#   packaging/screenshots.sh [OUT_DIR] [TOUR_BINARY]
#
# SIZE=1280x1024 sets the screen (default 1920x1080); TOUR_ARGS are passed to the tour
# (--all-modes 1280x1024: every screen at normal/large text, normal/high contrast).
# Pictures are saved as 8-bit palette PNGs: a fifth of the size, still sharp text.
# Defaults: docs/screenshots and bin/kiosk-tour (built from ./cmd/kiosk-tour when not
# given, so the pictures show the current code). Needs xvfb, imagemagick
# and Mesa's software OpenGL (packaging/setup-debian.sh installs them).
set -euo pipefail

cd "$(dirname "$0")/.."
out=${1:-docs/screenshots}
bin=${2:-}
if [[ -z $bin ]]; then
	bin=bin/kiosk-tour
	go build -o "$bin" ./cmd/kiosk-tour
fi
for tool in Xvfb import; do
	command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing (apt-get install xvfb imagemagick)" >&2; exit 1; }
done
mkdir -p "$out"

# A display number nobody uses: the first free one from 90.
disp=90
while [[ -e /tmp/.X11-unix/X$disp || -e /tmp/.X$disp-lock ]]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 "${SIZE:-1920x1080}x24" -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
kiosk=""
cleanup() {
	[[ -n $kiosk ]] && kill "$kiosk" 2>/dev/null || true
	kill "$xvfb" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X$disp ]] && break; sleep 0.1; done
export DISPLAY=":$disp" LIBGL_ALWAYS_SOFTWARE=1

# shellcheck disable=SC2086 # TOUR_ARGS are words
coproc KIOSK { exec "$bin" ${TOUR_ARGS:-} 2>/tmp/kiosk-screenshots.$$.log; }
kiosk=$KIOSK_PID
n=0
while IFS= read -r -t 60 line <&"${KIOSK[0]}"; do
	case $line in
	"SCREEN "*)
		name=${line#SCREEN }
		import -window root "PNG8:$out/$name.png"
		n=$((n + 1))
		echo >&"${KIOSK[1]}"
		;;
	DONE) break ;;
	esac
done
wait "$kiosk" 2>/dev/null || true
kiosk=""
if ((n == 0)); then
	echo "screenshots: the tour showed no screen; its log:" >&2
	cat /tmp/kiosk-screenshots.$$.log >&2 || true
	rm -f /tmp/kiosk-screenshots.$$.log
	exit 1
fi
rm -f /tmp/kiosk-screenshots.$$.log
echo "screenshots: $n screens in $out"
