package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// testOnly reports whether an import path is a package meant for tests only.
// std tells whether it is in the standard library, whose own internal
// packages (internal/testlog, internal/synctest) are in every Go binary.
func testOnly(path string, std bool) bool {
	if path == "testing" || strings.HasPrefix(path, "testing/") || path == "net/http/httptest" {
		return true
	}
	if std {
		return false
	}
	// By convention a test helper package is named *test or *testing:
	// clocktest, gpiotest, storetest, btesting.
	for _, el := range strings.Split(path, "/") {
		if strings.HasSuffix(el, "test") || strings.HasSuffix(el, "testing") {
			return true
		}
	}
	return false
}

func TestTestOnlyRule(t *testing.T) {
	for path, want := range map[string]bool{
		"testing":           true,
		"testing/fstest":    true,
		"testing/synctest":  true,
		"net/http/httptest": true,
		"github.com/edgeagent/edgeagent/internal/clock/clocktest": true,
		"periph.io/x/conn/v3/gpio/gpiotest":                       true,
		"go.etcd.io/bbolt/internal/btesting":                      true,
		"github.com/edgeagent/edgeagent/internal/clock":           false,
		"periph.io/x/conn/v3/gpio":                                false,
		"net/http":                                                false,
	} {
		if got := testOnly(path, !strings.Contains(strings.Split(path, "/")[0], ".")); got != want {
			t.Errorf("testOnly(%q) = %v, want %v", path, got, want)
		}
	}
	if testOnly("internal/testlog", true) {
		t.Error("internal/testlog is the runtime's own, in every binary")
	}
}

// TestDeps: the binary shipped to hubs (linux/arm64) carries no test-only
// packages: no fakes, no test clocks, no testing flags.
func TestDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var n int
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		seen[path] = true
		n++
		if testOnly(path, std == "true") {
			t.Errorf("the linux/arm64 binary imports test-only package %s", path)
		}
	}
	// Packages whose initialisation costs milliseconds of every cold start
	// under qemu-aarch64 and that nothing the agent does needs.
	for path, why := range map[string]string{
		"regexp":                        "third_party/README.md, hap patches 8 and 9",
		"periph.io/x/host/v3/allwinner": "a board the agent does not support; devices/host.go lists the drivers",
		"periph.io/x/host/v3/pine64":    "a board the agent does not support; devices/host.go lists the drivers",
		"periph.io/x/host/v3/rpi":       "header pin names, which the config does not take; devices/host.go lists the drivers",
		"periph.io/x/host/v3":           "links every board's driver; devices/host.go lists the supported ones",
	} {
		if seen[path] {
			t.Errorf("the linux/arm64 binary imports %s (%s): go list -deps -f '{{.ImportPath}} {{.Imports}}' ./cmd/edgeagent | grep -w %s", path, why, path)
		}
	}
	// Guard against a vacuous pass: the list must be the real one.
	for _, want := range []string{"github.com/edgeagent/edgeagent/cmd/edgeagent", "github.com/edgeagent/edgeagent/internal/devices", "periph.io/x/host/v3/bcm283x", "periph.io/x/host/v3/gpioioctl"} {
		if !seen[want] {
			t.Errorf("%s missing from the dependency list (%d packages): is this the arm64 list?", want, n)
		}
	}
}
