#!/usr/bin/env bash
# Pre-renders the kiosk's spoken prompts: every prompt (a screen's instruction, the
# timer's warning) in every language, as WAV files the kiosk plays with aplay or
# paplay (app.WavPlayer). Run at set-up time, again after the translations change.
#
#   packaging/render-prompts.sh [OUT_DIR] [PROMPTS.tsv]
#
# OUT_DIR defaults to /var/cache/dsi-kiosk/prompts. PROMPTS.tsv (id, language, text
# per line) defaults to what `kiosk-tour -prompts` prints (bin/kiosk-tour, built when
# missing). Writes OUT_DIR/<lang>/<id>.wav and OUT_DIR/manifest.tsv: language, id,
# file, bytes, synthesis milliseconds, sha256. Voices: Cantonese (espeak-ng "yue")
# for zh-Hant, European Portuguese, British English. Needs espeak-ng
# (packaging/setup-debian.sh installs it).
set -euo pipefail

cd "$(dirname "$0")/.."
out=${1:-/var/cache/dsi-kiosk/prompts}
list=${2:-}
command -v espeak-ng >/dev/null || { echo "render-prompts: espeak-ng is missing (apt-get install espeak-ng)" >&2; exit 1; }
if [[ -z $list ]]; then
	if [[ ! -x bin/kiosk-tour ]]; then
		go build -o bin/kiosk-tour ./cmd/kiosk-tour
	fi
	list=$(mktemp)
	trap 'rm -f "$list"' EXIT
	bin/kiosk-tour -prompts >"$list"
fi

voice() {
	case $1 in
	zh-Hant) echo yue ;;
	pt) echo pt ;;
	en) echo en-gb ;;
	*) echo "render-prompts: no voice for language $1" >&2; return 1 ;;
	esac
}

mkdir -p "$out"
manifest=$out/manifest.tsv.new
printf 'language\tid\tfile\tbytes\tms\tsha256\n' >"$manifest"
n=0 total=0
while IFS=$'\t' read -r id lang text; do
	[[ -z $id ]] && continue
	v=$(voice "$lang")
	mkdir -p "$out/$lang"
	file=$lang/$id.wav
	start=$(date +%s%N)
	# -s 150: a little slower than espeak's default 175 words a minute, for older ears.
	espeak-ng -v "$v" -s 150 -w "$out/$file.tmp" -- "$text"
	ms=$((($(date +%s%N) - start) / 1000000))
	mv "$out/$file.tmp" "$out/$file"
	bytes=$(stat -c %s "$out/$file")
	sum=$(sha256sum "$out/$file" | cut -d' ' -f1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$lang" "$id" "$file" "$bytes" "$ms" "$sum" >>"$manifest"
	n=$((n + 1)) total=$((total + ms))
done <"$list"
mv "$manifest" "$out/manifest.tsv"
[[ $n -gt 0 ]] || { echo "render-prompts: no prompts in $list" >&2; exit 1; }
echo "render-prompts: $n prompts in $out, synthesis ${total} ms in all, $((total / n)) ms each on average"
