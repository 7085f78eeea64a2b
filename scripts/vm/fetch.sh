#!/bin/sh
# fetch.sh: downloads the pinned Debian packages the VM test is built from
# into .cache/vm/debs, under a private apt configuration (its own sources,
# lists and cache in .cache/vm/apt: the host's dpkg gets no foreign
# architecture and its apt state is not touched), and checks every file
# against the SHA-256 in scripts/vm/packages.lock. A package already in the
# cache with the right hash is not downloaded again.
#
# usage: scripts/vm/fetch.sh [--print-lock]
#   --print-lock  resolve the newest versions and print a new lock file
#                 (to update the pins; review the diff before committing)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.cache/vm"
lock="$here/packages.lock"
apt="$cache/apt"
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/prefs" "$cache/debs"
: >"$apt/status"
cat >"$apt/sources.list" <<SOURCES
deb [arch=arm64,amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [arch=arm64,amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main
SOURCES

aptget() {
	cmd=$1
	shift
	"$cmd" -q \
		-o Dir::Etc::SourceList="$apt/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::Etc::Preferences=/nonexistent \
		-o Dir::Etc::PreferencesParts="$apt/prefs" \
		-o Dir::State="$apt" \
		-o Dir::State::Lists="$apt/lists" \
		-o Dir::State::status="$apt/status" \
		-o Dir::Cache="$apt" \
		-o Dir::Cache::archives="$apt/archives" \
		-o APT::Architecture=arm64 \
		-o APT::Architectures::=arm64 \
		-o APT::Architectures::=amd64 \
		-o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root \
		"$@"
}

updated=""
update() {
	[ -n "$updated" ] && return 0
	aptget apt-get update >"$apt/update.log" 2>&1 || {
		cat "$apt/update.log" >&2
		echo "fetch: apt-get update failed (is deb.debian.org reachable?)" >&2
		exit 1
	}
	updated=1
}

if [ "${1:-}" = --print-lock ]; then
	update
	echo "# name:arch version sha256 (scripts/vm/fetch.sh --print-lock)"
	grep -v '^#' "$lock" | while read -r pkg _ _; do
		[ -n "$pkg" ] || continue
		ver=$(aptget apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
		sum=$(aptget apt-cache show "$pkg=$ver" | awk '/^SHA256:/ {print $2; exit}')
		echo "$pkg $ver $sum"
	done
	exit 0
fi

grep -v '^#' "$lock" | while read -r pkg ver sum; do
	[ -n "$pkg" ] || continue
	name=${pkg%%:*}
	arch=${pkg#*:}
	file="$cache/debs/${name}_${arch}.deb"
	if [ -f "$file" ] && echo "$sum  $file" | sha256sum -c --status; then
		continue
	fi
	update
	echo "fetch: $pkg $ver"
	if ! (cd "$cache/debs" && rm -f "${name}"_*"_${arch}.deb" && aptget apt-get download "$pkg=$ver" >"$apt/download.log" 2>&1); then
		cat "$apt/download.log" >&2
		echo "fetch: cannot download $pkg version $ver (pinned in $lock): the archive may no longer have it; scripts/vm/fetch.sh --print-lock shows what it has" >&2
		exit 1
	fi
	mv "$cache/debs/${name}_"*"_${arch}.deb" "$file"
	if ! echo "$sum  $file" | sha256sum -c --status; then
		echo "fetch: $pkg $ver: SHA-256 $(sha256sum <"$file" | cut -d' ' -f1), the lock says $sum" >&2
		rm -f "$file"
		exit 1
	fi
done
