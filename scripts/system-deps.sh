#!/bin/sh
# Installs the Debian packages listed in scripts/system-packages.txt when
# they are missing (each proved by a command, or by a file given by its
# absolute path): with apt-get when run as root, otherwise it stops and
# prints the exact command to run.
set -eu
list="$(dirname "$0")/system-packages.txt"
missing=""
# installed: the command is on PATH or in an sbin directory, where Debian puts
# daemons (mosquitto is /usr/sbin/mosquitto) and a user's PATH may not look.
installed() {
	case "$1" in /*) [ -e "$1" ]; return ;; esac
	command -v "$1" >/dev/null 2>&1 && return 0
	for d in /usr/local/sbin /usr/sbin /sbin; do
		[ -x "$d/$1" ] && return 0
	done
	return 1
}
while read -r pkg cmd; do
	case "$pkg" in ''|'#'*) continue ;; esac
	if ! installed "$cmd"; then
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
