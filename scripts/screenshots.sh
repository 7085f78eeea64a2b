#!/bin/sh
# Real Chromium screenshots of the residents' web app for the README: the
# login page, the device page with the cloud reachable and unreachable, and
# the phone key: enrolment, a guest key to hand over, the app with the hub off.
# They are taken by TestBrowserScreenshots (cmd/edgeagent/browser_test.go)
# against the LAN API served in-process; CI=true makes a missing chromium an
# error rather than a skip.
set -eu
cd "$(dirname "$0")/.."
out="$(pwd)/docs/img"
mkdir -p "$out"
CI=true EDGEAGENT_SCREENSHOTS="$out" "${GO:-go}" test -count=1 -timeout 180s \
	-run '^TestBrowser(Key)?Screenshots$' -v ./cmd/edgeagent/
ls -l "$out"/lan-*.png "$out"/key-*.png
