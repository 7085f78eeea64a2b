#!/bin/sh
# powercut-host.sh: the host's part of the power-cut scenario.
#   prepare OUT  an empty ext4 image (the data disk) and a log disk in OUT;
#                base.img keeps the empty image the log is replayed onto
#   check OUT    replays the guest's log to every flush point (powercheck)
set -eu
# depmod, mke2fs, e2fsck and debugfs live in sbin, which a user's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$2
case $1 in
prepare)
	rm -f "$out/base.img" "$out/data.img" "$out/log.img"
	# 4 KiB blocks as on an SD card; inode tables and the journal written
	# now, so the kernel's lazy init does not fill the log.
	mke2fs -q -t ext4 -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 -L edgeagent "$out/base.img" 32M
	cp "$out/base.img" "$out/data.img"
	truncate -s 1G "$out/log.img"
	;;
check)
	(cd "$root" && CGO_ENABLED=0 go build -o "$out/edgeagent-host" ./cmd/edgeagent &&
		go build -o "$out/powercheck" ./scripts/vm/powercheck)
	mkdir -p "$out/replay"
	"$out/powercheck" -base "$out/base.img" -log "$out/log.img" -work "$out/replay" \
		-agent "$out/edgeagent-host" -config "$here/powercut.toml"
	;;
*)
	echo "usage: $0 prepare|check OUT" >&2
	exit 2
	;;
esac
