#!/bin/sh
# build.sh: builds what the VM test boots, under .cache/vm (git-ignored):
#   kernel/   Debian's arm64 kernel and modules (modules.dep made by depmod)
#   gpiosim/  gpio-sim.ko and irq_sim.ko, built out of tree against Debian's
#             headers from the two source files of Debian's linux-source
#             package (extracted here, never committed; see below)
#   initramfs.cpio.gz  busybox, dmsetup, Mosquitto, iproute2 and their
#             libraries, the modules (vcan and can-raw for the CAN
#             scenario among them), the arm64 edgeagent and the guest
#             driver built from this tree, deploy/vehicle/simcar.dbc
#   store.img an empty ext4 file system for the power-cut scenario
# Debian packages come from scripts/vm/fetch.sh (pinned, hashes checked).
set -eu
# depmod, mke2fs, e2fsck and debugfs live in sbin, which a user's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.cache/vm"
kver=6.12.95+deb12-arm64
GO=${GO:-go}

"$here/fetch.sh"

# Unpack the kernel packages again whenever their pins change.
stamp=$(grep '^linux-' "$here/packages.lock" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$cache/unpacked.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "build: unpacking the packages"
	rm -rf "$cache/root" "$cache/kernel" "$cache/src" "$cache/gpiosim" "$cache/unpacked.stamp"
	mkdir -p "$cache/root" "$cache/kernel" "$cache/src"
	for deb in linux-headers-6.12.95+deb12-arm64_arm64 linux-headers-6.12.95+deb12-common_all linux-kbuild-6.12.95+deb12_amd64; do
		dpkg-deb -x "$cache/debs/$deb.deb" "$cache/root"
	done
	dpkg-deb -x "$cache/debs/linux-image-${kver}_arm64.deb" "$cache/kernel"
	depmod -b "$cache/kernel" "$kver"
	# The headers' Makefile includes the common part by its installed
	# path: point it at the copy unpacked here.
	sed -i "s|^include /usr/src/|include $cache/root/usr/src/|" "$cache/root/usr/src/linux-headers-$kver/Makefile"
	# Only the two files gpio-sim needs, and dm-log-writes.c, whose on-disk
	# format scripts/vm/logwrites reads (kept for reference, not built).
	dpkg-deb --fsys-tarfile "$cache/debs/linux-source-6.12_all.deb" |
		tar -xO ./usr/src/linux-source-6.12.tar.xz | xz -dc |
		tar -x -C "$cache/src" linux-source-6.12/drivers/gpio/gpio-sim.c \
			linux-source-6.12/kernel/irq/irq_sim.c linux-source-6.12/drivers/md/dm-log-writes.c
	echo "$stamp" >"$cache/unpacked.stamp"
fi

# gpio-sim: no Debian kernel enables CONFIG_GPIO_SIM or CONFIG_IRQ_SIM.
# irq_to_desc is not exported to modules, so irq_sim's direct call of
# handle_simple_irq(irq_to_desc(irq)) becomes generic_handle_irq_safe(irq),
# which does the same from any context; irq_sim also needs a module licence.
if [ ! -f "$cache/gpiosim/gpio-sim.ko" ]; then
	echo "build: gpio-sim and irq_sim modules"
	rm -rf "$cache/gpiosim"
	mkdir -p "$cache/gpiosim"
	cp "$cache/src/linux-source-6.12/drivers/gpio/gpio-sim.c" "$cache/gpiosim/"
	sed 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq_safe(irqnum);/' \
		"$cache/src/linux-source-6.12/kernel/irq/irq_sim.c" >"$cache/gpiosim/irq_sim.c"
	grep -q 'generic_handle_irq_safe(irqnum);' "$cache/gpiosim/irq_sim.c" || {
		echo "build: irq_sim.c no longer calls handle_simple_irq(irq_to_desc(irqnum)): update build.sh" >&2
		exit 1
	}
	printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n' >>"$cache/gpiosim/irq_sim.c"
	echo 'obj-m := gpio-sim.o irq_sim.o' >"$cache/gpiosim/Kbuild"
	make -s -C "$cache/root/usr/src/linux-headers-$kver" M="$cache/gpiosim" modules >"$cache/gpiosim/build.log" 2>&1 || {
		cat "$cache/gpiosim/build.log" >&2
		exit 1
	}
fi

echo "build: arm64 edgeagent and the guest driver"
mkdir -p "$cache/bin"
(cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $GO build -trimpath -o "$cache/bin/edgeagent" ./cmd/edgeagent)
(cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $GO build -trimpath -o "$cache/bin/vmguest" ./scripts/vm/guest)

echo "build: initramfs"
ir="$cache/initramfs"
rm -rf "$ir"
mkdir -p "$ir/bin" "$ir/lib/modules" "$ir/dev" "$ir/proc" "$ir/sys" "$ir/tmp" "$ir/run" "$ir/mnt"
dpkg-deb --fsys-tarfile "$cache/debs/busybox-static_arm64.deb" | tar -xO ./bin/busybox >"$ir/bin/busybox"
chmod 755 "$ir/bin/busybox"
ln -s busybox "$ir/bin/sh"
# Every other arm64 package of the lock: dmsetup, Mosquitto, iproute2 and
# their libraries.
grep -v -e '^#' -e '^linux-' -e '^busybox-static:' "$here/packages.lock" | grep ':arm64 ' |
	while read -r pkg _ _; do
		dpkg-deb -x "$cache/debs/${pkg%%:*}_arm64.deb" "$ir"
	done
rm -rf "${ir:?}/usr/share" "${ir:?}/usr/lib/aarch64-linux-gnu/gconv" "${ir:?}/etc"
# No ld.so.cache in the initramfs: every library a program loads must be in
# the default directories. Fail here, naming it, rather than in the guest.
for prog in sbin/dmsetup bin/ip sbin/tc usr/sbin/mosquitto; do
	for lib in $(aarch64-linux-gnu-readelf -d "$ir/$prog" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		[ -e "$ir/lib/aarch64-linux-gnu/$lib" ] || [ -e "$ir/usr/lib/aarch64-linux-gnu/$lib" ] || {
			echo "build: $prog needs $lib, which no package in scripts/vm/packages.lock provides" >&2
			exit 1
		}
	done
done
# Modules in load order, each after what it needs (modules.dep).
mods="configfs virtio_blk dm-mod dm-log-writes crc16 crc32c_generic mbcache jbd2 ext4 veth sch_netem can-dev vcan can can-raw"
moddir="$cache/kernel/lib/modules/$kver"
: >"$ir/lib/modules/order"
for m in $mods; do
	path=$(grep -E "/$m\.ko\.xz:" "$moddir/modules.dep" | cut -d: -f1)
	[ -n "$path" ] || {
		echo "build: module $m is not in $kver" >&2
		exit 1
	}
	xz -dc "$moddir/$path" >"$ir/lib/modules/$m.ko"
	echo "$m" >>"$ir/lib/modules/order"
done
cp "$cache/gpiosim/irq_sim.ko" "$cache/gpiosim/gpio-sim.ko" "$ir/lib/modules/"
printf 'irq_sim\ngpio-sim\n' >>"$ir/lib/modules/order"
cp "$cache/bin/edgeagent" "$cache/bin/vmguest" "$ir/bin/"
mkdir -p "$ir/etc" "$ir/var"
ln -s ../run "$ir/var/run" # ip netns keeps its names in /var/run/netns
cp "$here/powercut.toml" "$ir/etc/edgeagent-powercut.toml"
mkdir -p "$ir/etc/edgeagent"
cp "$root/deploy/vehicle/simcar.dbc" "$ir/etc/edgeagent/simcar.dbc"
cp "$here/init" "$ir/init"
chmod 755 "$ir/init"
(cd "$ir" && find . | sort | cpio -o -H newc --quiet | gzip -1) >"$cache/initramfs.cpio.gz"
