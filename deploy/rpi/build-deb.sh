#!/bin/sh
# build-deb.sh: builds dist/edgeagent_VERSION_ARCH.deb with dpkg-deb from a
# staging tree. "make deb" runs it for every architecture.
#
# usage: deploy/rpi/build-deb.sh ARCH BINARY VERSION OUTDIR
#   ARCH     Debian architecture: arm64, armhf (ARMv7) or amd64
#   BINARY   the static linux binary for it (make release)
#   VERSION  git describe output or a plain version; made Debian-valid here
#   OUTDIR   where the .deb goes
# DEB_MAINTAINER overrides the Maintainer field.
set -eu
# Modes in the package come from the staging tree: never from a caller's
# umask (a 0700 /etc/edgeagent would hide the config from the agent).
umask 022

die() {
	echo "build-deb.sh: $*" >&2
	exit 1
}

[ $# -eq 4 ] || die "usage: build-deb.sh ARCH BINARY VERSION OUTDIR"
arch=$1
bin=$2
version=$3
out=$4
here=$(cd "$(dirname "$0")" && pwd)
maintainer=${DEB_MAINTAINER:-edgeagent maintainers <maintainers@edgeagent.invalid>}

# A binary of another architecture in the package would be a restart loop on
# the hub: check the ELF machine (e_machine, 2 bytes at offset 18).
case $arch in
arm64) want=183 ;; # EM_AARCH64
armhf) want=40 ;;  # EM_ARM
amd64) want=62 ;;  # EM_X86_64
*) die "unknown architecture $arch (arm64, armhf, amd64)" ;;
esac
[ -f "$bin" ] || die "$bin: no such file"
machine=$(od -An -t u2 -j 18 -N 2 "$bin" | tr -d ' ')
[ "$machine" = "$want" ] || die "$bin is not built for $arch (ELF machine $machine, want $want)"

# Debian versions start with a digit and use - only before a revision:
# v1.2.0 -> 1.2.0, v1.2.0-3-gabc1234-dirty -> 1.2.0+3.gabc1234+dirty,
# v1.3.0-rc1 -> 1.3.0~rc1, abc1234 (no tag yet) -> 0~abc1234.
debversion=$(echo "$version" | sed -E \
	-e 's/^v//' \
	-e 's/-([0-9]+)-g([0-9a-f]+)/+\1.g\2/' \
	-e 's/-dirty$/+dirty/' \
	-e 's/-/~/g')
case $debversion in
[0-9]*) ;;
*) debversion="0~$debversion" ;;
esac

# The packaged config must use the data dir the unit makes writable.
grep -q '^data_dir = "/var/lib/edgeagent"' "$here/edgeagent.example.toml" ||
	die "edgeagent.example.toml must set data_dir = \"/var/lib/edgeagent\" (the unit's StateDirectory)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
install -D -m 0755 "$bin" "$stage/usr/bin/edgeagent"
install -D -m 0644 "$here/edgeagent.service" "$stage/lib/systemd/system/edgeagent.service"
install -D -m 0644 "$here/edgeagent.example.toml" "$stage/etc/edgeagent/edgeagent.toml"
install -d -m 0755 "$stage/DEBIAN"
install -m 0755 "$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm" "$stage/DEBIAN/"
if [ "$arch" = armhf ]; then
	install -m 0755 "$here/debian/preinst-armhf" "$stage/DEBIAN/preinst"
fi
# dpkg keeps an operator's edits to a conffile across upgrades and deletes
# it only on purge.
echo /etc/edgeagent/edgeagent.toml >"$stage/DEBIAN/conffiles"
(cd "$stage" && md5sum usr/bin/edgeagent lib/systemd/system/edgeagent.service) >"$stage/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: edgeagent
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: passwd
Section: misc
Priority: optional
Description: local-first control for smart-home hubs
 edgeagent drives locks, lights, boilers and covers through GPIO, keeps
 device state and an event log on the hub, and keeps local control working
 when the network or the cloud platform is down. It starts without a
 network, drives every output to its safe level first, and runs as a
 hardened systemd service.
EOF

mkdir -p "$out"
deb="$out/edgeagent_${debversion}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
