package rpi

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A Raspberry Pi OS config.txt in miniature: it ends inside a [pi4] section
// and without a final newline, as hand-edited files do.
const originalBootConfig = "# For more options, see config.txt(5)\ndtparam=audio=on\n[pi4]\narm_boost=1"

// install runs install.sh with args and returns its output; wantErr says
// whether it must fail.
func install(t *testing.T, wantErr bool, args ...string) string {
	t.Helper()
	out, err := exec.Command("/bin/sh", append([]string{"install.sh"}, args...)...).CombinedOutput()
	if (err != nil) != wantErr {
		t.Fatalf("install.sh %q: err %v, want error %v\n%s", args, err, wantErr, out)
	}
	return string(out)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// block returns the lines from BEGIN to END, failing unless there is exactly
// one block.
func block(t *testing.T, config string) []string {
	t.Helper()
	lines := strings.Split(config, "\n")
	var begin, end []int
	for i, l := range lines {
		switch l {
		case "# BEGIN edgeagent":
			begin = append(begin, i)
		case "# END edgeagent":
			end = append(end, i)
		}
	}
	if len(begin) != 1 || len(end) != 1 || end[0] < begin[0] {
		t.Fatalf("want exactly one edgeagent block, got BEGIN at %v and END at %v in:\n%s", begin, end, config)
	}
	return lines[begin[0] : end[0]+1]
}

func has(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// bootconfig is what the installed binary prints, for comparison.
func bootconfig(t *testing.T, bin, config string, args ...string) []string {
	t.Helper()
	out := run(t, bin, append([]string{"rpi", "bootconfig", "--config", config}, args...)...)
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// stagingRoot makes a root with a Raspberry Pi OS boot partition.
func stagingRoot(t *testing.T) (root, configTxt string) {
	t.Helper()
	root = t.TempDir()
	configTxt = filepath.Join(root, "boot/firmware/config.txt")
	if err := os.MkdirAll(filepath.Dir(configTxt), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configTxt, []byte(originalBootConfig), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, configTxt
}

// TestInstallBinaryIntoStagingRoot: a bare binary installs with the unit and
// the example config; the boot config block is written once, rerunning
// changes nothing, a new config replaces the block in place, and uninstall
// leaves config.txt as it was.
func TestInstallBinaryIntoStagingRoot(t *testing.T) {
	bin := hostBinary(t)
	root, configTxt := stagingRoot(t)

	out := install(t, false, "--root", root, "--rtc", "ds3231", bin)
	if !strings.Contains(out, "reboot to apply") {
		t.Errorf("no reboot hint:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(root, "usr/bin/edgeagent")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("binary: %v %v", fi, err)
	}
	if read(t, filepath.Join(root, "lib/systemd/system/edgeagent.service")) != read(t, "edgeagent.service") {
		t.Error("installed unit differs from edgeagent.service")
	}
	conf := filepath.Join(root, "etc/edgeagent/edgeagent.toml")
	if read(t, conf) != read(t, "edgeagent.example.toml") {
		t.Error("installed config differs from the example")
	}
	if !strings.Contains(read(t, filepath.Join(root, "etc/systemd/system.conf.d/edgeagent-watchdog.conf")), "\nRuntimeWatchdogSec=15s\n") {
		t.Error("no systemd drop-in feeding the hardware watchdog")
	}

	first := read(t, configTxt)
	if !strings.HasPrefix(first, originalBootConfig+"\n# BEGIN edgeagent\n") {
		t.Errorf("the operator's lines were changed or the block is not at the end:\n%s", first)
	}
	b := block(t, first)
	want := append([]string{"# BEGIN edgeagent", "# written by edgeagent's install.sh from /etc/edgeagent/edgeagent.toml: edits here are replaced"},
		bootconfig(t, bin, conf, "--rtc", "ds3231")...)
	want = append(want, "# END edgeagent")
	if strings.Join(b, "\n") != strings.Join(want, "\n") {
		t.Errorf("block:\n%s\nwant:\n%s", strings.Join(b, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range b {
		if len(l) > 98 {
			t.Errorf("line longer than the firmware reads (98): %q", l)
		}
	}
	// The block resets the [pi4] filter it follows, then holds the pins.
	for _, l := range []string{"[all]", "gpio=17=op,dl", "dtparam=watchdog=on", "dtoverlay=i2c-rtc,ds3231"} {
		if !has(b, l) {
			t.Errorf("block lacks %q", l)
		}
	}

	// Idempotent: the same run again changes nothing.
	out = install(t, false, "--root", root, "--rtc", "ds3231", bin)
	if read(t, configTxt) != first {
		t.Errorf("a second run changed config.txt:\n%s", read(t, configTxt))
	}
	if !strings.Contains(out, "already up to date") {
		t.Errorf("second run output:\n%s", out)
	}

	// The operator adds a line after the block, then installs a config of
	// their own without the RTC: the block is replaced where it stands.
	if err := os.WriteFile(configTxt, []byte(first+"dtparam=spi=on\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(t.TempDir(), "mine.toml")
	if err := os.WriteFile(mine, []byte(`site = "flat-3"
data_dir = "/var/lib/edgeagent"
[[lock]]
id = "door"
relay = "GPIO26"
active = "low"
fail = "secure"
[[boiler]]
id = "heating"
relay = "GPIO12"
sensor = "28-00000a1b2c3d"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	install(t, false, "--root", root, "--config", mine, "--w1-pin", "19", bin)
	if read(t, conf) != read(t, mine) {
		t.Error("--config did not install the given config")
	}
	third := read(t, configTxt)
	b = block(t, third)
	if !has(b, "gpio=26=op,dh") || !has(b, "dtoverlay=w1-gpio,gpiopin=19") || has(b, "gpio=17=op,dl") || has(b, "dtoverlay=i2c-rtc,ds3231") {
		t.Errorf("block not regenerated from the new config:\n%s", strings.Join(b, "\n"))
	}
	if !strings.HasSuffix(third, "# END edgeagent\ndtparam=spi=on\n") {
		t.Errorf("the block moved or the operator's line was lost:\n%s", third)
	}

	// A config the agent rejects is not installed.
	bad := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(bad, []byte("site = \"s\"\nbogus = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	install(t, true, "--root", root, "--config", bad, bin)
	if read(t, conf) != read(t, mine) {
		t.Error("a rejected config replaced the installed one")
	}

	// Uninstall: files and block go, the operator's config.txt lines stay,
	// the agent config stays until --purge.
	install(t, false, "--root", root, "--uninstall")
	for _, p := range []string{"usr/bin/edgeagent", "lib/systemd/system/edgeagent.service", "etc/systemd/system.conf.d/edgeagent-watchdog.conf"} {
		if _, err := os.Stat(filepath.Join(root, p)); !os.IsNotExist(err) {
			t.Errorf("%s still there after uninstall (%v)", p, err)
		}
	}
	if got := read(t, configTxt); got != originalBootConfig+"\ndtparam=spi=on\n" {
		t.Errorf("config.txt after uninstall:\n%q", got)
	}
	if _, err := os.Stat(conf); err != nil {
		t.Errorf("uninstall without --purge removed the config: %v", err)
	}
	install(t, false, "--root", root, "--uninstall", "--purge")
	if _, err := os.Stat(filepath.Join(root, "etc/edgeagent")); !os.IsNotExist(err) {
		t.Errorf("--purge kept /etc/edgeagent (%v)", err)
	}
}

// TestInstallDebIntoStagingRoot: the package's files land in the root and
// the boot config comes from its binary.
func TestInstallDebIntoStagingRoot(t *testing.T) {
	deb := hostDeb(t)
	root, configTxt := stagingRoot(t)
	install(t, false, "--root", root, deb)
	for _, p := range []string{"usr/bin/edgeagent", "lib/systemd/system/edgeagent.service", "etc/edgeagent/edgeagent.toml"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s not installed: %v", p, err)
		}
	}
	if b := block(t, read(t, configTxt)); !has(b, "gpio=17=op,dl") {
		t.Errorf("block:\n%s", strings.Join(b, "\n"))
	}
}

// TestInstallRefusesDamagedMarkers: a block with a missing or repeated
// marker stops install.sh before it touches config.txt: a guess could
// delete the operator's own lines.
func TestInstallRefusesDamagedMarkers(t *testing.T) {
	bin := hostBinary(t)
	for name, content := range map[string]string{
		"no end":       originalBootConfig + "\n# BEGIN edgeagent\ngpio=17=op,dl\ndtparam=spi=on\n",
		"no begin":     originalBootConfig + "\ngpio=17=op,dl\n# END edgeagent\n",
		"two blocks":   "# BEGIN edgeagent\n# END edgeagent\n# BEGIN edgeagent\n# END edgeagent\n",
		"end to begin": "# END edgeagent\n# BEGIN edgeagent\n",
	} {
		t.Run(name, func(t *testing.T) {
			root, configTxt := stagingRoot(t)
			if err := os.WriteFile(configTxt, []byte(content), 0o755); err != nil {
				t.Fatal(err)
			}
			out := install(t, true, "--root", root, bin)
			if !strings.Contains(out, "markers are damaged") {
				t.Errorf("output:\n%s", out)
			}
			if read(t, configTxt) != content {
				t.Error("config.txt changed")
			}
		})
	}
}

// TestInstallWithoutBootPartition: on a gateway that is not a Pi the boot
// config is skipped, not an error.
func TestInstallWithoutBootPartition(t *testing.T) {
	bin := hostBinary(t)
	root := t.TempDir()
	out := install(t, false, "--root", root, bin)
	if !strings.Contains(out, "not a Raspberry Pi, boot config skipped") {
		t.Errorf("output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/system.conf.d/edgeagent-watchdog.conf")); !os.IsNotExist(err) {
		t.Error("hardware watchdog drop-in written on a machine without the boot config")
	}
}

func TestInstallUsage(t *testing.T) {
	root := t.TempDir()
	for _, args := range [][]string{
		{"--root", root},                                // nothing to install
		{"--root", root, "--bogus", "x"},                // unknown option
		{"--root", root, "a.deb", "b.deb"},              // two sources
		{"--root", filepath.Join(root, "missing"), "x"}, // no such root
		{"--root", root, "--uninstall", "x.deb"},        // uninstall takes none
		{"--root", root, filepath.Join(root, "missing.deb")},
	} {
		install(t, true, args...)
	}
	if out := install(t, false, "--help"); !strings.Contains(out, "usage:") {
		t.Errorf("--help:\n%s", out)
	}
}

// foreignDeb builds an arm64 package whose binary runs on no machine (its
// ELF header, then nothing): an arm64 package on an amd64 build machine,
// even where qemu-user's binfmt handler would run a whole arm64 binary.
func foreignDeb(t *testing.T) string {
	t.Helper()
	need(t, "dpkg-deb", "dpkg")
	dir := t.TempDir()
	full := filepath.Join(dir, "edgeagent-linux-arm64")
	cmd := exec.Command("go", "build", "-o", full, "../../cmd/edgeagent")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build arm64: %v\n%s", err, out)
	}
	if err := os.Truncate(full, 4096); err != nil {
		t.Fatal(err)
	}
	run(t, "./build-deb.sh", "arm64", full, "1.2.3", dir)
	return filepath.Join(dir, "edgeagent_1.2.3_arm64.deb")
}

// TestInstallForeignDebStagesWithNoBootconfig: staging another machine's
// package with --root DIR --no-bootconfig installs its files and the given
// config without running its binary, and leaves config.txt alone; without
// --no-bootconfig it stops with the way out.
func TestInstallForeignDebStagesWithNoBootconfig(t *testing.T) {
	deb := foreignDeb(t)
	root, configTxt := stagingRoot(t)
	mine := filepath.Join(t.TempDir(), "my-hub.toml")
	if err := os.WriteFile(mine, []byte(strings.Replace(read(t, "edgeagent.example.toml"), `site = "home-1"`, `site = "staged-1"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := install(t, false, "--root", root, "--no-bootconfig", "--config", mine, deb)
	if !strings.Contains(out, "not checked here") || !strings.Contains(out, "staged in "+root) {
		t.Errorf("output does not say the config was not checked:\n%s", out)
	}
	if got := read(t, filepath.Join(root, "etc/edgeagent/edgeagent.toml")); got != read(t, mine) {
		t.Errorf("installed config is not --config's file:\n%s", got)
	}
	for _, p := range []string{"usr/bin/edgeagent", "lib/systemd/system/edgeagent.service"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s not staged: %v", p, err)
		}
	}
	if read(t, configTxt) != originalBootConfig {
		t.Error("--no-bootconfig changed config.txt")
	}

	root2, configTxt2 := stagingRoot(t)
	out = install(t, true, "--root", root2, deb)
	if !strings.Contains(out, "cannot run") || !strings.Contains(out, "--no-bootconfig") {
		t.Errorf("boot config with a foreign binary:\n%s", out)
	}
	if read(t, configTxt2) != originalBootConfig {
		t.Error("a failed install changed config.txt")
	}
}
