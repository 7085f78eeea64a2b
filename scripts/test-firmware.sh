#!/bin/sh
# test-firmware.sh: make test-firmware. The node's host tests (plain cc,
# sanitizers on), then the qemu test: the mps2-an385 image booted in
# qemu-system-arm and driven over a pseudo-terminal by internal/nodelink
# (TestQEMU*), by the node device kind (internal/devices, TestNodeLockOnQEMU)
# and by the agent binary from a [[node]] config (cmd/edgeagent,
# TestAgentNodeOnQEMU), with the race detector. make test-go leaves them to
# this target (-skip QEMU): run beside every other package on two cores,
# the emulated board's clock fell behind the tests' real-time bounds. A
# missing tool fails it under CI=true (make deps installs them) and skips
# it elsewhere, naming what is missing.
set -eu
cd "$(dirname "$0")/.."
missing=""
for tool in cc make arm-none-eabi-gcc qemu-system-arm; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -e /usr/lib/picolibc/arm-none-eabi/picolibc.specs ] || missing="$missing picolibc-arm-none-eabi"
if [ -n "$missing" ]; then
	if [ "${CI:-}" = true ]; then
		echo "test-firmware: missing:$missing (make deps installs scripts/system-packages.txt)" >&2
		exit 1
	fi
	echo "test-firmware: skipped, missing:$missing (make deps installs them)"
	exit 0
fi
make -C firmware all test
# One package at a time, after the VM test's images are written back: the
# node's heartbeat bound is real time, and three emulated boards starved
# of CPU by each other (or by a disk busy with write-back) miss it.
sync
go test -count=1 -race -p 1 -run 'QEMU' ./internal/nodelink/ ./internal/devices/ ./cmd/edgeagent/
