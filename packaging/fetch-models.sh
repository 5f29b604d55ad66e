#!/usr/bin/env bash
# Fetches the pinned face models into the model cache and checks each file's SHA-256
# against assets/models/manifest.txt. Idempotent: files already present with the right
# checksum are kept and nothing is downloaded.
# Usage: packaging/fetch-models.sh [DEST]   (default: $KIOSK_MODELS_DIR or ~/.cache/dsi-kiosk/models)
# $KIOSK_MODELS_MANIFEST names the manifest when the script is not in the repository
# (the .deb installs both under /usr/share/dsi-kiosk; dsi-kiosk-models.service sets it).
set -euo pipefail
manifest="${KIOSK_MODELS_MANIFEST:-$(cd "$(dirname "$0")/.." && pwd)/assets/models/manifest.txt}"
[ -f "$manifest" ] || { echo "fetch-models: no manifest at $manifest (set KIOSK_MODELS_MANIFEST)" >&2; exit 1; }
dest="${1:-${KIOSK_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dsi-kiosk/models}}"
mkdir -p "$dest"

tarball=$(sed -n 's/^# tarball: //p' "$manifest")
integrity=$(sed -n 's/^# integrity: sha512-//p' "$manifest")

check_all() {
  local bad=0
  while read -r sum file; do
    [ -z "$sum" ] && continue
    case "$sum" in \#*) continue ;; esac
    if [ ! -f "$dest/$file" ] || [ "$(sha256sum "$dest/$file" | cut -d' ' -f1)" != "$sum" ]; then
      bad=1; [ "${1:-}" = "-v" ] && echo "fetch-models: $file missing or altered"
    fi
  done < "$manifest"
  return $bad
}

if check_all; then
  echo "fetch-models: all models present and verified in $dest"
  exit 0
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading $tarball"
curl -sSfL --retry 3 -o "$tmp/pkg.tgz" "$tarball"
got=$(openssl dgst -sha512 -binary "$tmp/pkg.tgz" | base64 -w0)
if [ "$got" != "$integrity" ]; then
  echo "fetch-models: package integrity mismatch (got sha512-$got); refusing to install" >&2
  exit 1
fi
tar -xzf "$tmp/pkg.tgz" -C "$tmp"
while read -r sum file; do
  [ -z "$sum" ] && continue
  case "$sum" in \#*) continue ;; esac
  got=$(sha256sum "$tmp/package/model/$file" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "fetch-models: $file has sha256 $got, manifest says $sum; refusing to install" >&2
    exit 1
  fi
  install -m 0644 "$tmp/package/model/$file" "$dest/$file"
  echo "fetch-models: installed $file"
done < "$manifest"
check_all -v
echo "fetch-models: all models present and verified in $dest"
