#!/bin/sh
# Installs the Debian packages listed in scripts/system-packages.txt when
# they are missing: with apt-get when run as root, otherwise it stops and
# prints the exact command to run.
set -eu
list="$(dirname "$0")/system-packages.txt"
missing=""
while read -r pkg cmd; do
	case "$pkg" in ''|'#'*) continue ;; esac
	if ! command -v "$cmd" >/dev/null 2>&1; then
		missing="$missing $pkg"
	fi
done < "$list"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "installing:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
	echo "the tests need these Debian packages:$missing"
	echo "run: sudo apt-get install -y$missing"
	exit 1
fi
