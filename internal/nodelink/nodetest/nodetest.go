// Package nodetest boots the node firmware's qemu image (firmware/, board
// mps2-an385) for tests: its link UART on a pseudo-terminal the hub side
// opens like a real serial port, its test port (keypad, door, sensor in;
// outputs out) on a second one. Test-only: nothing outside tests imports it.
package nodetest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/nodelink"
)

// need finds a tool: a missing one fails the test under CI=true (CI must
// not pass by skipping the firmware tests) and skips it elsewhere.
func need(t testing.TB, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	msg := tool + " is not installed (apt-get install " + pkg + "; see scripts/system-packages.txt)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// firmwareDir is the repository's firmware/.
func firmwareDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	d, err := filepath.Abs(filepath.Join(filepath.Dir(file), "../../../firmware"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var buildOnce sync.Once
var buildErr error
var buildOut []byte

// Image builds (make -C firmware qemu: a no-op when up to date) and
// returns the qemu image of kind "lock" or "boiler".
func Image(t testing.TB, kind string) string {
	t.Helper()
	need(t, "arm-none-eabi-gcc", "gcc-arm-none-eabi picolibc-arm-none-eabi")
	need(t, "make", "make")
	dir := firmwareDir(t)
	buildOnce.Do(func() {
		buildOut, buildErr = exec.Command("make", "-C", dir, "qemu").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("make -C firmware qemu: %v\n%s", buildErr, buildOut)
	}
	return filepath.Join(dir, "build", "qemu", "node-"+kind+".elf")
}

// Node is one booted image.
type Node struct {
	// Link is the node's link UART, opened raw at 115 200 baud; LinkPath
	// its pty, for a second opening (a hub that starts again).
	Link     *os.File
	LinkPath string
	test     *os.File
	cmd      *exec.Cmd

	mu    sync.Mutex
	cond  *sync.Cond
	lines []string
	done  bool
}

var ptyRE = regexp.MustCompile(`char device redirected to (/dev/pts/\d+) \(label (\w+)\)`)

// Boot starts qemu-system-arm with the image of kind and opens both ports;
// the test's cleanup kills it.
func Boot(t testing.TB, kind string) *Node {
	t.Helper()
	img := Image(t, kind)
	qemu := need(t, "qemu-system-arm", "qemu-system-arm")
	cmd := exec.Command(qemu, "-M", "mps2-an385", "-display", "none", "-monitor", "none",
		"-chardev", "pty,id=link", "-serial", "chardev:link",
		"-chardev", "pty,id=test", "-serial", "chardev:test",
		"-kernel", img)
	// qemu names the ptys on stdout; its errors go to stderr, into the log.
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", qemu, err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	ptys := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(ptys) < 2 && sc.Scan() {
		if m := ptyRE.FindStringSubmatch(sc.Text()); m != nil {
			ptys[m[2]] = m[1]
		}
	}
	go func() {
		for sc.Scan() {
			t.Logf("qemu: %s", sc.Text())
		}
		_ = cmd.Wait()
		close(exited)
	}()
	if len(ptys) < 2 {
		t.Fatalf("qemu did not name its two ptys (got %v)", ptys)
	}
	n := &Node{cmd: cmd, LinkPath: ptys["link"]}
	n.cond = sync.NewCond(&n.mu)
	if n.Link, err = nodelink.OpenSerial(ptys["link"], 115200); err != nil {
		t.Fatal(err)
	}
	if n.test, err = nodelink.OpenSerial(ptys["test"], 115200); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Link.Close(); n.test.Close() })
	go n.readLines()
	return n
}

func (n *Node) readLines() {
	sc := bufio.NewScanner(n.test)
	for sc.Scan() {
		n.mu.Lock()
		n.lines = append(n.lines, strings.TrimSpace(sc.Text()))
		n.cond.Broadcast()
		n.mu.Unlock()
	}
	n.mu.Lock()
	n.done = true
	n.cond.Broadcast()
	n.mu.Unlock()
}

// Count is how many times the test port printed line so far.
func (n *Node) Count(line string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, l := range n.lines {
		if l == line {
			c++
		}
	}
	return c
}

// WaitLine waits until the test port has printed line at least count times,
// or fails the test after limit (a bound against a hung node, not a timing
// assertion).
func (n *Node) WaitLine(t testing.TB, line string, count int, limit time.Duration) {
	t.Helper()
	expired := false
	timer := time.AfterFunc(limit, func() {
		n.mu.Lock()
		expired = true
		n.cond.Broadcast()
		n.mu.Unlock()
	})
	defer timer.Stop()
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		c := 0
		for _, l := range n.lines {
			if l == line {
				c++
			}
		}
		if c >= count {
			return
		}
		if n.done || expired {
			t.Fatalf("node never printed %q %d times within %v; it printed %q", line, count, limit, n.lines)
		}
		n.cond.Wait()
	}
}

// Input writes one line to the test port: "k<keys>", "d0"/"d1",
// "t<centi-degrees>", "tx" (no sensor), "hang".
func (n *Node) Input(t testing.TB, line string) {
	t.Helper()
	if _, err := n.test.WriteString(line + "\n"); err != nil {
		t.Fatalf("test port: %v", err)
	}
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("qemu: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}
