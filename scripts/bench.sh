#!/bin/sh
# Runs the benchmarks and writes docs/benchmarks.md with the command that
# made the figures, the machine, each target met or missed with its figure
# (scripts/benchcheck, from scripts/bench-targets.md), and the raw output.
# It exits 1 after writing the file when a target was missed.
set -eu
cd "$(dirname "$0")/.."
out=docs/benchmarks.md
raw=$(mktemp)
table=$(mktemp)
trap 'rm -f "$raw" "$table"' EXIT
cmd='go test -run ^$ -bench . -benchmem -count 1 ./...'
echo "running: $cmd"
$cmd | tee "$raw"
status=0
go run ./scripts/benchcheck scripts/bench-targets.md "$raw" > "$table" || status=$?
if [ "$status" -gt 1 ]; then
	exit "$status"
fi
{
	echo "# Benchmarks"
	echo
	echo "Made by \`make bench\`, which runs:"
	echo
	echo '```'
	echo "$cmd"
	echo '```'
	echo
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3-4), $(date -u +%Y-%m-%d)."
	echo "The machine is shared and noisy: compare ratios against the baseline taken in the same run,"
	echo "not absolute figures across runs."
	echo
	cat "$table"
	echo
	echo "## Raw output"
	echo
	echo '```'
	grep -E '^(Benchmark|goos|goarch|cpu|pkg|ok|PASS|FAIL)' "$raw"
	echo '```'
} > "$out"
echo "wrote $out"
if [ "$status" -ne 0 ]; then
	echo "bench: targets missed (listed above, and in $out)" >&2
	exit 1
fi
