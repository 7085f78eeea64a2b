#!/bin/sh
# test.sh: make test-vm. Builds (scripts/vm/build.sh) and boots
# (scripts/vm/run.sh) the VM test. A missing tool fails it under CI=true
# (make deps installs them) and skips it elsewhere, naming what is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
missing=""
for tool in qemu-system-aarch64 aarch64-linux-gnu-gcc aarch64-linux-gnu-readelf make bc pahole depmod cpio xz \
	mke2fs e2fsck debugfs dpkg-deb apt-get; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	if [ "${CI:-}" = true ]; then
		echo "test-vm: missing:$missing (make deps installs scripts/system-packages.txt)" >&2
		exit 1
	fi
	echo "test-vm: skipped, missing:$missing (make deps installs them)"
	exit 0
fi
"$here/build.sh"
"$here/run.sh" "$@"
