package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shellBlock is a ```sh block of the README.
type shellBlock struct {
	line   int    // of the opening fence
	text   string // the commands
	notRun string // the reason given by a "<!-- not run: REASON -->" line just above it
}

// readmeBlocks returns the README's shell blocks in order.
func readmeBlocks(t *testing.T, path string) []shellBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks []shellBlock
		cur    *shellBlock
		prev   string // the last line before a fence
		n      int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		case strings.HasPrefix(line, "```sh") || strings.HasPrefix(line, "```bash") || strings.HasPrefix(line, "```shell") || strings.HasPrefix(line, "```console"):
			cur = &shellBlock{line: n}
			if r, ok := strings.CutPrefix(strings.TrimSpace(prev), "<!-- not run:"); ok {
				cur.notRun = strings.TrimSpace(strings.TrimSuffix(r, "-->"))
				if cur.notRun == "" {
					t.Errorf("%s:%d: a not-run mark needs its reason", path, n-1)
				}
			}
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: shell block never closed", path, cur.line)
	}
	return blocks
}

// needTool finds a command the README's examples use: missing, the test
// fails under CI=true and is skipped elsewhere (as mqtttest.Binary does).
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	msg := name + " is not installed (see scripts/system-packages.txt)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// makeRun is the command "make run ARGS=..." runs (Makefile, target run);
// the README test runs it as make would, in the background.
const makeRun = "$(BIN)/edgeagent run --config deploy/rpi/edgeagent.example.toml --sim --data-dir $(RUN_DIR)/data $(ARGS)"

// readmeShell is put before the README's blocks: "make run" starts the agent
// as the Makefile does (the binary the test built, as bin/edgeagent), in the
// background and stopped first if already running, and returns once it
// logged that it is ready; any other make target is refused, so a block that
// needs one must be marked as not run.
const readmeShell = `set -euo pipefail
AGENT=
stop_agent() {
	if [ -n "$AGENT" ]; then kill -TERM "$AGENT" 2>/dev/null || true; wait "$AGENT" 2>/dev/null || true; AGENT=; fi
}
trap stop_agent EXIT
make() {
	[ "${1:-}" = run ] || { echo "README test: cannot run 'make $*': mark the block as not run" >&2; return 1; }
	shift
	local args=
	for a in "$@"; do
		case "$a" in
		ARGS=*) args=${a#ARGS=} ;;
		*) echo "README test: make run $a: only ARGS= is known" >&2; return 1 ;;
		esac
	done
	stop_agent
	mkdir -p .run
	: > .run/agent.log
	bin/edgeagent run --config deploy/rpi/edgeagent.example.toml --sim --data-dir .run/data $args 2>>.run/agent.log &
	AGENT=$!
	for _ in $(seq 200); do
		grep -q 'msg=ready' .run/agent.log && return 0
		kill -0 "$AGENT" 2>/dev/null || { echo "README test: the agent exited:" >&2; cat .run/agent.log >&2; return 1; }
		sleep 0.05
	done
	echo "README test: the agent was not ready after 10 s:" >&2; cat .run/agent.log >&2
	return 1
}
`

// The README's walkthroughs (quick start, keys, web app, cloud signing) run
// as written, in order, in one shell in a fresh directory laid out like the
// repository (bin/edgeagent, deploy/rpi/edgeagent.example.toml), against the
// agent "make run" starts. A block the test cannot run must say why with a
// "<!-- not run: REASON -->" line just above its fence; every other block
// fails the test when any of its commands fails.
func TestREADMEWalkthroughs(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "curl"} {
		needTool(t, tool)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mk), "\t"+makeRun+"\n") {
		t.Fatalf("the Makefile's run target no longer runs %q: update readmeShell and makeRun", makeRun)
	}

	dir := t.TempDir()
	example := filepath.Join(dir, "deploy", "rpi", "edgeagent.example.toml")
	for _, d := range []string{filepath.Dir(example), filepath.Join(dir, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "rpi", "edgeagent.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(example, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(agentBin, filepath.Join(dir, "bin", "edgeagent")); err != nil {
		t.Fatal(err)
	}

	var script strings.Builder
	script.WriteString(readmeShell)
	ran := 0
	for _, bl := range readmeBlocks(t, filepath.Join(root, "README.md")) {
		if bl.notRun != "" {
			t.Logf("README.md:%d not run: %s", bl.line, bl.notRun)
			continue
		}
		fmt.Fprintf(&script, "echo '### README.md:%d' >&2\n%s", bl.line, bl.text)
		ran++
	}
	if ran == 0 {
		t.Fatal("no README block to run")
	}
	script.WriteString("echo '### README: all blocks ran' >&2\n")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = dir
	// The agent is the shell's child: on a timeout, end the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "### README: all blocks ran") {
		t.Fatalf("the README's commands failed (%v); the last '### README.md:LINE' names the block:\n%s", err, out)
	}
	t.Logf("%d README blocks ran:\n%s", ran, out)
}
