#!/bin/sh
# Runs every fuzz target briefly (FUZZTIME each, default 1000 inputs: a
# count, not a duration, so a slow input at a deadline cannot fail the run
# with "context deadline exceeded", a known go test -fuzz flake). The seed
# corpora always run in `go test`; this explores a little beyond them on
# every CI run. Longer: FUZZTIME=10m scripts/fuzz.sh
set -eu
cd "$(dirname "$0")/.."
t="${FUZZTIME:-1000x}"
for f in $(grep -rl --include='*_test.go' '^func Fuzz' internal | sort); do
	pkg="./$(dirname "$f")"
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
		echo "fuzz $pkg $name ($t)"
		# The whole-path fuzzers write to disk on every input; a short
		# minimisation keeps a find from stalling the run.
		go test -run '^$' -fuzz "^$name\$" -fuzztime "$t" -fuzzminimizetime 2s "$pkg" >/tmp/edgeagent-fuzz.log 2>&1 || {
			cat /tmp/edgeagent-fuzz.log; echo "FAIL: fuzz $pkg $name"; exit 1; }
	done
done
echo "fuzz: all targets ok"
