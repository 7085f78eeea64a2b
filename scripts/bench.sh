#!/bin/sh
# Runs the benchmarks and writes docs/benchmarks.md with the command that
# made the figures, the machine, and the raw output.
set -eu
cd "$(dirname "$0")/.."
out=docs/benchmarks.md
raw=$(mktemp)
cmd='go test -run ^$ -bench . -benchmem -count 1 ./...'
echo "running: $cmd"
$cmd | tee "$raw"
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
	cat scripts/bench-targets.md
	echo
	echo "## Raw output"
	echo
	echo '```'
	grep -E '^(Benchmark|goos|goarch|cpu|pkg|ok|PASS|FAIL)' "$raw"
	echo '```'
} > "$out"
rm -f "$raw"
echo "wrote $out"
