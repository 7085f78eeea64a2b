#!/bin/sh
# run.sh: boots the VM test built by scripts/vm/build.sh and checks what the
# guest reports. usage: scripts/vm/run.sh [SCENARIO,...] (default: all)
#
# The guest prints "VMCHECK scenario check ok|FAIL detail" and
# "VMBENCH name value unit" lines on its serial console; this script prints
# them as a table and exits non-zero on any FAIL, on a missing check
# (scripts/vm/expected lists them) or when the guest did not finish.
# The VM has no network device: only the guest's loopback.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.cache/vm"
kver=6.12.95+deb12-arm64
scenarios=${1:-gpio,powercut,network,can}
out="$cache/out"
rm -rf "$out"
mkdir -p "$out"

if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
	echo "test-vm: qemu-system-aarch64 is missing (make deps installs qemu-system-arm)" >&2
	exit 1
fi

drives=""
case ",$scenarios," in
*,powercut,*)
	"$here/powercut-host.sh" prepare "$out"
	drives="-drive file=$out/data.img,if=none,id=data,format=raw,cache=none -device virtio-blk-pci,drive=data
		-drive file=$out/log.img,if=none,id=log,format=raw,cache=none -device virtio-blk-pci,drive=log"
	;;
esac

start=$(date +%s)
# shellcheck disable=SC2086 # drives is a list of words
timeout 300 qemu-system-aarch64 -M virt -cpu cortex-a57 -smp 2 -m 768 \
	-nographic -no-reboot -nic none \
	-kernel "$cache/kernel/boot/vmlinuz-$kver" \
	-initrd "$cache/initramfs.cpio.gz" \
	-append "console=ttyAMA0 panic=-1 quiet vmtest=$scenarios" \
	$drives </dev/null >"$out/console.log" 2>&1 || true
end=$(date +%s)

status=0
if ! grep -q '^VMEXIT 0' "$out/console.log"; then
	status=1
fi
case ",$scenarios," in
*,powercut,*)
	"$here/powercut-host.sh" check "$out" >>"$out/console.log" || status=1
	;;
esac

# Every check expected for the scenarios that ran must be there.
for s in $(echo "$scenarios" | tr ',' ' '); do
	grep "^$s " "$here/expected" | while read -r _ check; do
		grep -q "^VMCHECK $s $check " "$out/console.log" ||
			echo "VMCHECK $s $check FAIL (missing: the guest never reported it)" >>"$out/missing"
	done
done
[ -f "$out/missing" ] && cat "$out/missing" >>"$out/console.log"

printf '%-10s %-28s %-5s %s\n' SCENARIO CHECK RESULT DETAIL
grep '^VMCHECK ' "$out/console.log" | tr -d '\r' | while read -r _ s c res detail; do
	printf '%-10s %-28s %-5s %s\n' "$s" "$c" "$res" "$detail"
done
if grep -q '^VMTABLE ' "$out/console.log"; then
	echo
	echo "network fault rounds:"
	grep '^VMTABLE ' "$out/console.log" | tr -d '\r' | cut -c9-
	echo
fi
grep '^VMBENCH ' "$out/console.log" | tr -d '\r' | while read -r _ name value unit; do
	printf 'bench      %-28s %s %s\n' "$name" "$value" "$unit"
done
echo "wall time: $((end - start)) s (boot, scenarios, power-off; console log in $out/console.log)"
if grep -q '^VMCHECK .* FAIL' "$out/console.log" || [ "$status" -ne 0 ]; then
	echo "test-vm: FAILED" >&2
	grep -q '^VMEXIT' "$out/console.log" || tail -40 "$out/console.log" >&2
	exit 1
fi
echo "test-vm: ok"
