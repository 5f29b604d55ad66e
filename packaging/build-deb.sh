#!/usr/bin/env bash
# Builds the kiosk's Debian 12 package, dsi-kiosk_VERSION_amd64.deb, with dpkg-deb.
# Usage: packaging/build-deb.sh [--binary FILE] [--out DIR] [--version V]
#   --binary  a kiosk binary already built (default: go build ./cmd/kiosk into a temp dir)
#   --out     where the .deb goes (default: dist/)
#   --version package version (default: 0.<commit count>+g<commit>, ~dirty if the tree is)
# Every file is root:root in the archive; what belongs to the kiosk account is set by
# the postinst (the account does not exist when the package is built).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bin="" out="$top/dist" version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) echo "build-deb: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "build-deb: $tool missing (apt-get install dpkg-dev)" >&2; exit 1; }
done
if [ -z "$version" ]; then
  version="0.$(git -C "$top" rev-list --count HEAD)+g$(git -C "$top" rev-parse --short HEAD)"
  git -C "$top" diff --quiet HEAD -- 2>/dev/null || version="$version~dirty"
fi

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -z "$bin" ]; then
  (cd "$top" && go build -o "$work/kiosk" ./cmd/kiosk)
  bin="$work/kiosk"
fi
root="$work/root"
umask 022
install -D -m 0755 "$bin" "$root/usr/bin/kiosk"
# Never readable by others, not even between unpack and configure (the postinst then
# gives the group to the kiosk account).
install -d -m 0750 "$root/etc/dsi-kiosk"
install -m 0640 "$top/packaging/kiosk.sample.yaml" "$root/etc/dsi-kiosk/kiosk.yaml"
install -D -m 0644 "$top/assets/models/manifest.txt" "$root/usr/share/dsi-kiosk/models/manifest.txt"
install -D -m 0755 "$top/packaging/fetch-models.sh" "$root/usr/share/dsi-kiosk/fetch-models.sh"
install -D -m 0644 "$top/packaging/systemd/dsi-kiosk.service" "$root/lib/systemd/system/dsi-kiosk.service"
install -D -m 0644 "$top/packaging/systemd/dsi-kiosk-models.service" "$root/lib/systemd/system/dsi-kiosk-models.service"
install -D -m 0644 "$top/packaging/systemd/99-dsi-kiosk.rules" "$root/lib/udev/rules.d/99-dsi-kiosk.rules"
install -D -m 0644 "$top/packaging/deb/README.Debian" "$root/usr/share/doc/dsi-kiosk/README.Debian"
install -D -m 0644 "$top/assets/fonts/PROVENANCE.md" "$root/usr/share/doc/dsi-kiosk/font-PROVENANCE.md"
cat > "$root/usr/share/doc/dsi-kiosk/copyright" <<'COPY'
DSI self-service kiosk. The embedded CJK font is Droid Sans Fallback (Apache-2.0,
see font-PROVENANCE.md). The face models are not in this package: the
dsi-kiosk-models service fetches them from the npm package named in
/usr/share/dsi-kiosk/models/manifest.txt (MIT licence on its repository).
COPY
chmod 0644 "$root/usr/share/doc/dsi-kiosk/copyright"

# Depends: the shared libraries the binary links (dpkg-shlibdeps: libopencv-*406,
# libpcsclite1, ...), those GLFW opens at run time (X11 and Wayland), and the services
# and tools the kiosk drives.
mkdir -p "$work/shlibs/debian"
: > "$work/shlibs/debian/control"
linked=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$root/usr/bin/kiosk" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$linked" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
runtime="libegl1, libx11-6, libx11-xcb1, libxcursor1, libxext6, libxi6, libxinerama1, libxrandr2, libxrender1, libxxf86vm1, libwayland-cursor0, libwayland-egl1, libxkbcommon0"
services="adduser, cage, pcscd, libccid, cups-client, fonts-droid-fallback, curl, ca-certificates, openssl"

mkdir -p "$root/DEBIAN"
install -m 0755 "$top/packaging/deb/postinst" "$top/packaging/deb/prerm" "$top/packaging/deb/postrm" "$root/DEBIAN/"
echo /etc/dsi-kiosk/kiosk.yaml > "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: dsi-kiosk
Version: $version
Architecture: amd64
Maintainer: DSI kiosk team <kiosk@dsi.gov.mo>
Section: misc
Priority: optional
Installed-Size: $size
Depends: $linked, $runtime, $services
Recommends: xwayland
Homepage: https://www.dsi.gov.mo/
Description: Macau Identification Services Bureau self-service kiosk
 Reads the resident's smart ID card over PC/SC, checks the face against the
 chip photo with liveness, and takes applications (ID card renewal, passport,
 travel permit, One Account). Runs full screen in the cage kiosk compositor as
 the unprivileged dsi-kiosk account, under systemd with a watchdog fed by the
 UI's heartbeat.
CONTROL
mkdir -p "$out"
deb="$out/dsi-kiosk_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
