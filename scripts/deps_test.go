// Package scripts holds the tests of the repository's shell scripts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemDepsFindsSbin: a user whose PATH has no sbin directory (a
// non-root login) and who has Debian's mosquitto (/usr/sbin/mosquitto) is
// not told to install it, and make test goes on. The script runs from a copy
// beside a one-line package list; a stub apt-get fails the test if the
// script tries to install anything.
func TestSystemDepsFindsSbin(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/mosquitto"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mosquitto is not installed in /usr/sbin (make deps installs it)")
		}
		t.Skip("mosquitto is not installed in /usr/sbin")
	}
	dir := t.TempDir()
	script, err := os.ReadFile("system-deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	stubs := filepath.Join(dir, "stubs")
	for name, content := range map[string]string{
		filepath.Join(dir, "system-deps.sh"):      string(script),
		filepath.Join(dir, "system-packages.txt"): "mosquitto mosquitto\n",
		filepath.Join(stubs, "apt-get"):           "#!/bin/sh\necho \"apt-get $*: called\"\nexit 1\n",
	} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("/bin/sh", filepath.Join(dir, "system-deps.sh"))
	cmd.Env = []string{"PATH=" + stubs + ":/usr/bin:/bin", "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "mosquitto") {
		t.Errorf("system-deps.sh without sbin on PATH: %v\n%s", err, out)
	}
}
