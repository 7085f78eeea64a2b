#!/bin/sh
# install.sh: installs edgeagent on a Raspberry Pi (or another Debian
# gateway) as a systemd service, writes its boot config between markers in
# config.txt, and starts it. --uninstall takes it away again.
#
# usage:
#   install.sh [OPTIONS] edgeagent_VERSION_ARCH.deb
#   install.sh [OPTIONS] BINARY    a bare binary from "make release"; the unit,
#                                  example config and maintainer scripts come
#                                  from this directory
#   install.sh [--root DIR] --uninstall [--purge]
#
# options:
#   --config FILE    install FILE as /etc/edgeagent/edgeagent.toml (checked
#                    first); otherwise the config already there, or the example
#   --rtc CHIP       add an I2C real-time clock to the boot config (ds3231, ...)
#   --w1-pin N       the BCM pin of the DS18B20 1-Wire bus (default 4)
#   --no-bootconfig  leave config.txt alone
#   --root DIR       stage into DIR (an image, a test) instead of this system:
#                    files and boot config only; no user, no systemctl, no
#                    package database. Run install.sh on the device for those.
#                    Another architecture's package (arm64 on an amd64 build
#                    machine) stages with --no-bootconfig; its binary cannot
#                    check --config here, the agent checks it at start.
#   --purge          with --uninstall: also the config, the data and the user
set -eu

BEGIN_MARK='# BEGIN edgeagent'
END_MARK='# END edgeagent'

here=$(cd "$(dirname "$0")" && pwd)
root=""
mode=install
purge=no
newconf=""
rtc=""
w1pin=""
bootconfig=yes
src=""

die() {
	echo "install.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '2,/^set -eu$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case "$1" in
	--root | --config | --rtc | --w1-pin)
		[ $# -ge 2 ] || die "$1 needs a value"
		case "$1" in
		--root) root=$2 ;;
		--config) newconf=$2 ;;
		--rtc) rtc=$2 ;;
		--w1-pin) w1pin=$2 ;;
		esac
		shift 2
		;;
	--no-bootconfig) bootconfig=no && shift ;;
	--uninstall) mode=uninstall && shift ;;
	--purge) purge=yes && shift ;;
	-h | --help) usage && exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*)
		[ -z "$src" ] || die "give one package or binary, not $src and $1"
		src=$1
		shift
		;;
	esac
done

if [ -n "$root" ]; then
	[ -d "$root" ] || die "--root $root: no such directory"
	root=$(cd "$root" && pwd)
	[ "$root" != / ] || root=""
fi
# live: operating on the running system (users, systemctl, dpkg).
live=yes
[ -z "$root" ] || live=no
if [ $live = yes ] && [ "$(id -u)" -ne 0 ]; then
	die "run as root (or stage with --root DIR)"
fi

bin=$root/usr/bin/edgeagent
unit=$root/lib/systemd/system/edgeagent.service
conf=$root/etc/edgeagent/edgeagent.toml
wdconf=$root/etc/systemd/system.conf.d/edgeagent-watchdog.conf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# bootfile is config.txt: /boot/firmware on Raspberry Pi OS since bookworm,
# /boot before (bookworm's /boot/config.txt is only a pointer).
bootfile() {
	for f in "$root/boot/firmware/config.txt" "$root/boot/config.txt"; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
}

# runs_here: the installed binary runs on this machine (not so for an arm64
# package staged with --root on an amd64 build machine).
runs_here() {
	"$bin" version >/dev/null 2>&1
}

# agent runs the installed binary, which must run here to check a config or
# print the boot config.
agent() {
	if ! runs_here; then
		die "cannot run $bin on this machine (another architecture?): run install.sh on the device, or stage with --root DIR --no-bootconfig"
	fi
	"$bin" "$@"
}

# replace_block FILE BLOCK writes the lines of file BLOCK (markers included)
# in place of the marked block in FILE, or at its end when there is none;
# BLOCK /dev/null removes the block. The block keeps its place, so lines
# after it stay in the same [section]. Damaged markers stop everything: a
# guess could delete the operator's own lines from the boot config.
replace_block() {
	out=$1.edgeagent-tmp
	if ! awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v blk="$2" '
		function put(   l) { while ((getline l < blk) > 0) print l; close(blk) }
		$0 == b { if (seen) exit 3; inside = 1; seen = 1; put(); next }
		$0 == e { if (!inside) exit 3; inside = 0; next }
		!inside { print }
		END { if (inside) exit 3; if (!seen) put() }
	' "$1" >"$out"; then
		rm -f "$out"
		die "$1: the '$BEGIN_MARK' / '$END_MARK' markers are damaged (missing, repeated or out of order): fix them by hand"
	fi
	if cmp -s "$out" "$1"; then
		rm -f "$out"
		return 1
	fi
	# Explicit checks: set -e does not apply inside a function called as an
	# if condition.
	cp -p "$1" "$1.edgeagent-bak" || die "$1: cannot keep a backup"
	mv "$out" "$1" || die "$1: cannot replace it"
	sync
}

install_files() {
	case "$src" in
	"") die "give a .deb or a binary to install, or --uninstall (see --help)" ;;
	*.deb)
		[ -f "$src" ] || die "$src: no such file"
		if [ $live = no ]; then
			dpkg-deb -x "$src" "$root"
		elif command -v apt-get >/dev/null 2>&1; then
			# apt resolves Depends; confold keeps an operator's edited config.
			DEBIAN_FRONTEND=noninteractive apt-get install -y \
				-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
				"$(cd "$(dirname "$src")" && pwd)/$(basename "$src")"
		else
			dpkg -i "$src"
		fi
		;;
	*)
		[ -f "$src" ] || die "$src: no such file"
		# A new file renamed over the old one: a running binary cannot be
		# overwritten in place.
		install -D -m 0755 "$src" "$bin.new"
		mv "$bin.new" "$bin"
		install -D -m 0644 "$here/edgeagent.service" "$unit"
		if [ ! -e "$conf" ]; then
			install -D -m 0644 "$here/edgeagent.example.toml" "$conf"
		fi
		if [ $live = yes ]; then
			# The package's own postinst: user, data dir, enable.
			sh "$here/debian/postinst" configure ""
		fi
		;;
	esac
	if [ -n "$newconf" ]; then
		[ -f "$newconf" ] || die "--config $newconf: no such file"
		if [ $live = no ] && ! runs_here; then
			# Staging another architecture's package: its binary cannot
			# check the config here. The agent checks it at every start
			# (exit 2 naming the file, line and key), before it drives a pin.
			echo "$newconf: not checked here ($bin is for another machine): run 'edgeagent config check ${conf#"$root"}' on the device"
		else
			agent config check "$newconf"
		fi
		install -D -m 0640 "$newconf" "$conf"
		if [ $live = yes ]; then
			chown root:edgeagent "$conf"
		fi
	fi
}

write_bootconfig() {
	f=$(bootfile)
	if [ -z "$f" ]; then
		echo "no config.txt under $root/boot: not a Raspberry Pi, boot config skipped"
		return
	fi
	{
		echo "$BEGIN_MARK"
		echo "# written by edgeagent's install.sh from ${conf#"$root"}: edits here are replaced"
		set -- --config "$conf"
		if [ -n "$rtc" ]; then
			set -- "$@" --rtc "$rtc"
		fi
		if [ -n "$w1pin" ]; then
			set -- "$@" --w1-pin "$w1pin"
		fi
		agent rpi bootconfig "$@"
		echo "$END_MARK"
	} >"$tmp/block"
	if replace_block "$f" "$tmp/block"; then
		echo "wrote the edgeagent block in $f: reboot to apply it"
	else
		echo "$f: edgeagent block already up to date"
	fi
	# dtparam=watchdog=on only enables the hardware watchdog; systemd feeds
	# it, so a hung kernel reboots the hub. The BCM2835 watchdog waits at
	# most about 15 s.
	mkdir -p "$(dirname "$wdconf")"
	cat >"$wdconf" <<-'EOF'
		# Written by edgeagent's install.sh: systemd feeds the hardware watchdog
		# enabled in config.txt (dtparam=watchdog=on); a hung system reboots.
		[Manager]
		RuntimeWatchdogSec=15s
	EOF
}

start() {
	systemctl daemon-reload
	systemctl enable edgeagent.service
	# Type=notify: this returns once outputs are safe and local control is
	# served, or fails with the reason in the journal.
	if ! systemctl restart edgeagent.service; then
		journalctl -u edgeagent.service -n 20 --no-pager >&2
		die "edgeagent did not start: see journalctl -u edgeagent"
	fi
	agent status --config "$conf"
}

uninstall() {
	if [ $live = yes ] && [ "$(dpkg-query -W -f='${db:Status-Status}' edgeagent 2>/dev/null)" = installed ]; then
		if [ $purge = yes ]; then
			apt-get purge -y edgeagent
		else
			apt-get remove -y edgeagent
		fi
	elif [ $live = yes ]; then
		# A bare install: the package's maintainer scripts, by hand (prerm
		# only while there is a unit to stop).
		if [ -e "$unit" ]; then
			sh "$here/debian/prerm" remove
		fi
		rm -f "$bin" "$unit"
		if [ $purge = yes ]; then
			sh "$here/debian/postrm" purge
		else
			sh "$here/debian/postrm" remove
		fi
	else
		rm -f "$bin" "$unit"
		if [ $purge = yes ]; then
			rm -rf "$root/etc/edgeagent" "$root/var/lib/edgeagent"
		fi
	fi
	f=$(bootfile)
	if [ -n "$f" ] && replace_block "$f" /dev/null; then
		echo "removed the edgeagent block from $f: reboot to apply"
	fi
	rm -f "$wdconf"
}

if [ $mode = uninstall ]; then
	[ -z "$src" ] || die "--uninstall takes no package or binary"
	uninstall
	exit 0
fi
install_files
if [ $bootconfig = yes ]; then
	write_bootconfig
fi
if [ $live = yes ] && [ -d /run/systemd/system ]; then
	start
elif [ $live = yes ]; then
	echo "systemd is not running here: the unit is enabled for the next boot; nothing started"
else
	echo "staged in $root: run install.sh on the device to create the user and start the service"
fi
