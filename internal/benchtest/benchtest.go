// Package benchtest holds what the tests and benchmarks that run the arm64
// build under qemu-aarch64-static, or count what a process writes, share:
// qemu's path, the process's CPU time, the package's test binary built for
// the host and arm64, a benchmark's metrics read back from one of them, and
// /proc/self/io's write_bytes. Only tests import it.
package benchtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CPUTime is this process's user and system CPU time so far (getrusage).
func CPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Qemu is qemu-aarch64-static's path. Without it the benchmark is skipped,
// except under CI=true, where make deps installs it.
func Qemu(tb testing.TB) string {
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("qemu-aarch64-static is missing: make deps installs qemu-user-static")
		}
		tb.Skip("qemu-aarch64-static not installed (apt-get install qemu-user-static)")
	}
	return qemu
}

// TestBinaries builds the test binary of the package in the current
// directory (go test runs in it) for this host and for linux/arm64.
func TestBinaries(tb testing.TB, name string) (host, arm64 string) {
	dir := tb.TempDir()
	build := func(goarch string) string {
		out := filepath.Join(dir, name+"-"+goarch+".test")
		cmd := exec.Command("go", "test", "-c", "-o", out, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
		if msg, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("building the %s test binary: %v\n%s", goarch, err, msg)
		}
		return out
	}
	return build(runtime.GOARCH), build("arm64")
}

// Metrics runs argv (a test binary, or qemu and one) in the package
// directory and returns the metrics (unit → value, ns/op included) of the
// first output line whose benchmark name starts with prefix.
func Metrics(tb testing.TB, prefix string, argv ...string) map[string]float64 {
	tb.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "."
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s: %v\n%s", argv, err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], prefix) {
			continue
		}
		m := map[string]float64{}
		for j := 2; j+1 < len(f); j += 2 {
			v, err := strconv.ParseFloat(f[j], 64)
			if err != nil {
				tb.Fatalf("%s: %q: %v", argv, sc.Text(), err)
			}
			m[f[j+1]] = v
		}
		return m
	}
	tb.Fatalf("%s printed no %s line:\n%s", argv, prefix, out)
	return nil
}

// WriteBytes is this process's write_bytes from /proc/self/io: the bytes
// it caused to be sent to the storage layer, O_DIRECT writes included (an
// SD card wears by these).
func WriteBytes(tb testing.TB) int64 {
	tb.Helper()
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		tb.Skip("no /proc/self/io:", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no write_bytes in /proc/self/io")
	return 0
}
