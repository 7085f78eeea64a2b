#!/bin/sh
# test-arm64.sh: the arm64 build checked on this machine under qemu-user.
# The devices, store and localauth tests are cross-compiled for linux/arm64
# and run with "go test -exec qemu-aarch64-static"; then cmd/edgeagent's
# TestARM64 starts the arm64 agent with --sim and talks to its admin socket.
# Without qemu it fails in CI (make deps installs it) and skips elsewhere.
set -eu
cd "$(dirname "$0")/.."

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "test-arm64: qemu-aarch64-static is missing (make deps installs qemu-user-static)" >&2
		exit 1
	fi
	echo "test-arm64: skipped, qemu-aarch64-static is not installed (apt-get install qemu-user-static)"
	exit 0
fi

# go list warns about a pattern that matches nothing yet (localauth before
# its issue lands) and lists the rest.
pkgs=$(go list ./internal/devices/... ./internal/store/... ./internal/localauth/... ./internal/ble/...)

# TestCrashKeepsAcknowledgedEvents and TestHLCNeverGoesBackAfterAKill... re-execute
# their own test binary, which the kernel cannot start without qemu registered
# in binfmt_misc (a host-wide setting this script leaves alone). They run
# natively in make test-go.
# shellcheck disable=SC2086 # one word per package
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go test -count=1 -exec qemu-aarch64-static \
	-skip '^(TestCrashKeepsAcknowledgedEvents|TestHLCNeverGoesBackAfterAKillAClockSetBackOrARecovery)$' $pkgs

go test -count=1 -run '^TestARM64' ./cmd/edgeagent
