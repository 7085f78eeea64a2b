// Package rpi holds no code: its tests check what this directory ships. The
// release binaries and Debian packages are built by "make deb" and read back
// with dpkg-deb; the maintainer scripts run against stub commands; the unit
// is checked for its rules and by systemd-analyze; install.sh runs against a
// staging root.
package rpi

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// version is what the tests stamp: a git describe with commits after a tag.
const (
	version    = "1.2.3-4-gabcdef0"
	debVersion = "1.2.3+4.gabcdef0"
)

var dist struct {
	once sync.Once
	dir  string
	err  error
}

// buildDist runs "make deb" once into a temporary directory removed by
// TestMain, and returns that directory.
func buildDist(t *testing.T) string {
	t.Helper()
	dist.once.Do(func() {
		cmd := exec.Command("make", "-C", "../..", "deb", "DIST="+dist.dir, "VERSION="+version)
		if out, err := cmd.CombinedOutput(); err != nil {
			dist.err = fmt.Errorf("make deb: %v\n%s", err, out)
		}
	})
	if dist.err != nil {
		t.Fatal(dist.err)
	}
	return dist.dir
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "edgeagent-dist-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dist.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need returns a command's path. A missing one fails the test in CI (make
// deps installs it) and skips it elsewhere.
func need(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: make deps installs %s", name, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s)", name, pkg)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

var debArchs = []struct {
	arch, binary string
	machine      elf.Machine
}{
	{"arm64", "edgeagent-linux-arm64", elf.EM_AARCH64},
	{"armhf", "edgeagent-linux-armv7", elf.EM_ARM},
	{"amd64", "edgeagent-linux-amd64", elf.EM_X86_64},
}

// TestReleaseBinaries: static, stripped, trimmed, version-stamped, for the
// right machine (and ARM version), with checksums.
func TestReleaseBinaries(t *testing.T) {
	dir := buildDist(t)
	for _, tc := range []struct {
		name    string
		machine elf.Machine
		setting string // a build setting that "go version -m" must show
	}{
		{"edgeagent-linux-arm64", elf.EM_AARCH64, "GOARCH=arm64"},
		{"edgeagent-linux-armv7", elf.EM_ARM, "GOARM=7"},
		{"edgeagent-linux-armv6", elf.EM_ARM, "GOARM=6"},
		{"edgeagent-linux-amd64", elf.EM_X86_64, "GOARCH=amd64"},
	} {
		path := filepath.Join(dir, tc.name)
		checkELF(t, path, tc.machine)
		info := run(t, "go", "version", "-m", path)
		for _, want := range []string{"\tbuild\t" + tc.setting + "\n", "\tbuild\tCGO_ENABLED=0\n", "\tbuild\t-trimpath=true\n"} {
			if !strings.Contains(info, want) {
				t.Errorf("%s: go version -m does not show %q:\n%s", tc.name, strings.TrimSpace(want), info)
			}
		}
		// -trimpath keeps -ldflags out of the build info: look for the
		// stamped string itself.
		if b, err := os.ReadFile(path); err != nil || !bytes.Contains(b, []byte(version)) {
			t.Errorf("%s: version %s not stamped (%v)", tc.name, version, err)
		}
	}
	if got := run(t, hostBinary(t), "version"); got != "edgeagent "+version+"\n" {
		t.Errorf("version: %q", got)
	}
	// The checksums cover every binary and package, and hold.
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"edgeagent-linux-arm64", "edgeagent-linux-armv7", "edgeagent-linux-armv6", "edgeagent-linux-amd64",
		"edgeagent_" + debVersion + "_arm64.deb", "edgeagent_" + debVersion + "_armhf.deb", "edgeagent_" + debVersion + "_amd64.deb"} {
		if !strings.Contains(string(sums), "  "+name+"\n") {
			t.Errorf("SHA256SUMS does not list %s:\n%s", name, sums)
		}
	}
	cmd := exec.Command("sha256sum", "--check", "--quiet", "SHA256SUMS")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("sha256sum --check: %v\n%s", err, out)
	}
}

// checkELF: the right machine, statically linked (no interpreter: a Pi's
// libc never matters), stripped (no symbol table).
func checkELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s: ELF machine %s, want %s", path, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s: dynamically linked (has an interpreter)", path)
		}
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s: not stripped (has .symtab)", path)
	}
}

// entry is one line of dpkg-deb -c.
type entry struct{ mode, owner string }

func contents(t *testing.T, deb string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	for _, l := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "-c", deb)), "\n") {
		f := strings.Fields(l) // mode owner size date time path
		if len(f) != 6 {
			t.Fatalf("unexpected dpkg-deb -c line %q", l)
		}
		out[f[5]] = entry{f[0], f[1]}
	}
	return out
}

func TestDebPackages(t *testing.T) {
	dir := buildDist(t)
	unit, err := os.ReadFile("edgeagent.service")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("edgeagent.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range debArchs {
		t.Run(tc.arch, func(t *testing.T) {
			deb := filepath.Join(dir, "edgeagent_"+debVersion+"_"+tc.arch+".deb")

			fields := map[string]string{
				"Package": "edgeagent", "Version": debVersion, "Architecture": tc.arch,
				"Depends": "passwd", "Section": "misc", "Priority": "optional",
			}
			for k, want := range fields {
				if got := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, k)); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"Maintainer", "Installed-Size", "Description"} {
				if strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, k)) == "" {
					t.Errorf("%s is empty", k)
				}
			}

			want := map[string]entry{
				"./":                                     {"drwxr-xr-x", "root/root"},
				"./usr/":                                 {"drwxr-xr-x", "root/root"},
				"./usr/bin/":                             {"drwxr-xr-x", "root/root"},
				"./usr/bin/edgeagent":                    {"-rwxr-xr-x", "root/root"},
				"./lib/":                                 {"drwxr-xr-x", "root/root"},
				"./lib/systemd/":                         {"drwxr-xr-x", "root/root"},
				"./lib/systemd/system/":                  {"drwxr-xr-x", "root/root"},
				"./lib/systemd/system/edgeagent.service": {"-rw-r--r--", "root/root"},
				"./etc/":                                 {"drwxr-xr-x", "root/root"},
				"./etc/edgeagent/":                       {"drwxr-xr-x", "root/root"},
				"./etc/edgeagent/edgeagent.toml":         {"-rw-r--r--", "root/root"},
			}
			got := contents(t, deb)
			for p, w := range want {
				if g, ok := got[p]; !ok {
					t.Errorf("missing %s", p)
				} else if g != w {
					t.Errorf("%s: %s %s, want %s %s", p, g.mode, g.owner, w.mode, w.owner)
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					t.Errorf("unexpected file %s", p)
				}
			}

			if got := run(t, "dpkg-deb", "-I", deb, "conffiles"); got != "/etc/edgeagent/edgeagent.toml\n" {
				t.Errorf("conffiles: %q", got)
			}
			scripts := []string{"conffiles", "control", "md5sums", "postinst", "postrm", "prerm"}
			if tc.arch == "armhf" {
				scripts = append(scripts, "preinst") // refuses ARMv6 boards
			}
			ctrl := t.TempDir()
			run(t, "dpkg-deb", "-e", deb, ctrl)
			var names []string
			ents, _ := os.ReadDir(ctrl)
			for _, e := range ents {
				names = append(names, e.Name())
			}
			slices.Sort(scripts)
			if !slices.Equal(names, scripts) {
				t.Errorf("control files %q, want %q", names, scripts)
			}

			root := t.TempDir()
			run(t, "dpkg-deb", "-x", deb, root)
			checkELF(t, filepath.Join(root, "usr/bin/edgeagent"), tc.machine)
			if b, _ := os.ReadFile(filepath.Join(root, "lib/systemd/system/edgeagent.service")); !bytes.Equal(b, unit) {
				t.Error("the packaged unit differs from deploy/rpi/edgeagent.service")
			}
			b, _ := os.ReadFile(filepath.Join(root, "etc/edgeagent/edgeagent.toml"))
			if !bytes.Equal(b, example) {
				t.Error("the packaged config differs from deploy/rpi/edgeagent.example.toml")
			}
			if !strings.Contains(string(b), "\ndata_dir = \"/var/lib/edgeagent\"") {
				t.Error("the packaged config does not use /var/lib/edgeagent, the unit's StateDirectory")
			}
		})
	}
}

// stubs makes a PATH of stub commands that log their arguments to the
// returned log file instead of touching this machine. getent finds exactly
// the "db:name" pairs in STUB_EXISTS; uname -m prints STUB_MACHINE.
func stubs(t *testing.T) (path, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "log")
	stub := filepath.Join(dir, "stub")
	script := `#!/bin/sh
name=${0##*/}
echo "$name $*" >>"$STUB_LOG"
case $name in
getent)
	for e in $STUB_EXISTS; do
		if [ "$e" = "$1:$2" ]; then exit 0; fi
	done
	exit 2 ;;
uname) echo "${STUB_MACHINE:-x86_64}" ;;
esac
exit 0
`
	if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"getent", "groupadd", "useradd", "usermod", "userdel", "groupdel", "install", "chown", "chmod", "rm", "systemctl", "uname"} {
		if err := os.Symlink(stub, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, log
}

// maint runs a maintainer script of the package with stub commands only,
// and returns the commands it ran and its exit error.
func maint(t *testing.T, ctrl, script, exists, machine string, args ...string) ([]string, error) {
	t.Helper()
	path, log := stubs(t)
	cmd := exec.Command("/bin/sh", append([]string{filepath.Join(ctrl, script)}, args...)...)
	cmd.Env = []string{"PATH=" + path, "STUB_LOG=" + log, "STUB_EXISTS=" + exists, "STUB_MACHINE=" + machine}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("%s %q: %v\n%s", script, args, err, out)
	}
	b, _ := os.ReadFile(log)
	var ran []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" && !strings.HasPrefix(l, "getent ") && !strings.HasPrefix(l, "uname ") {
			ran = append(ran, l)
		}
	}
	return ran, err
}

// TestMaintainerScripts runs the packaged scripts with stubs for every
// command they may call: the user and data dir on configure, stop on remove,
// and the user and data deleted on purge only.
func TestMaintainerScripts(t *testing.T) {
	dir := buildDist(t)
	ctrl := map[string]string{}
	for _, arch := range []string{"amd64", "armhf"} {
		ctrl[arch] = t.TempDir()
		run(t, "dpkg-deb", "-e", filepath.Join(dir, "edgeagent_"+debVersion+"_"+arch+".deb"), ctrl[arch])
	}
	c := ctrl["amd64"]
	// /run/systemd/system decides whether a running systemd is told; the
	// scripts test it themselves, so the expected commands depend on it.
	_, err := os.Stat("/run/systemd/system")
	systemdRunning := err == nil

	for _, tc := range []struct {
		name, script, exists string
		args                 []string
		want, never          []string
	}{
		{
			name: "first install", script: "postinst", args: []string{"configure", ""},
			want: []string{
				"groupadd --system gpio",
				"useradd --system --user-group --home-dir /var/lib/edgeagent --no-create-home --shell /usr/sbin/nologin --comment edgeagent hub daemon edgeagent",
				"usermod --append --groups gpio edgeagent",
				"install -d -m 0700 -o edgeagent -g edgeagent /var/lib/edgeagent",
				"systemctl enable edgeagent.service",
			},
			// The example config drives the example's pins: never started
			// on a first install.
			never: []string{"systemctl start edgeagent.service", "systemctl restart edgeagent.service", "systemctl try-restart edgeagent.service"},
		},
		{
			name: "reinstall with user and gpio group", script: "postinst", args: []string{"configure", "1.0.0"},
			exists: "group:gpio passwd:edgeagent",
			want:   []string{"usermod --append --groups gpio edgeagent", "install -d -m 0700 -o edgeagent -g edgeagent /var/lib/edgeagent", "systemctl enable edgeagent.service"},
			never:  []string{"groupadd --system gpio", "useradd"},
		},
		{
			name: "remove stops and disables", script: "prerm", args: []string{"remove"},
			want: []string{"systemctl disable edgeagent.service"},
		},
		{
			name: "upgrade does not stop", script: "prerm", args: []string{"upgrade", "1.2.4"},
			never: []string{"systemctl stop edgeagent.service", "systemctl disable edgeagent.service"},
		},
		{
			name: "remove keeps user and data", script: "postrm", args: []string{"remove"},
			exists: "group:gpio passwd:edgeagent group:edgeagent",
			never:  []string{"rm", "userdel", "groupdel"},
		},
		{
			name: "purge deletes user and data", script: "postrm", args: []string{"purge"},
			exists: "group:gpio passwd:edgeagent group:edgeagent",
			want:   []string{"rm -rf /var/lib/edgeagent /run/edgeagent /etc/edgeagent", "userdel edgeagent", "groupdel edgeagent"},
			never:  []string{"groupdel gpio"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran, err := maint(t, c, tc.script, tc.exists, "", tc.args...)
			if err != nil {
				t.Fatalf("%s %q failed: %v (ran %q)", tc.script, tc.args, err, ran)
			}
			want := tc.want
			if systemdRunning && tc.name == "remove stops and disables" {
				want = append([]string{"systemctl stop edgeagent.service"}, want...)
			}
			for _, w := range want {
				if !slices.Contains(ran, w) {
					t.Errorf("did not run %q; ran %q", w, ran)
				}
			}
			for _, n := range tc.never {
				for _, r := range ran {
					if r == n || strings.HasPrefix(r, n+" ") {
						t.Errorf("ran %q", r)
					}
				}
			}
		})
	}

	// The ARMv7 package refuses an ARMv6 board, where it would crash-loop.
	if _, err := maint(t, ctrl["armhf"], "preinst", "", "armv6l", "install"); err == nil {
		t.Error("armhf preinst accepted an armv6l machine")
	}
	for _, m := range []string{"armv7l", "aarch64"} {
		if _, err := maint(t, ctrl["armhf"], "preinst", "", m, "install"); err != nil {
			t.Errorf("armhf preinst refused %s: %v", m, err)
		}
	}
}

// TestShellcheck: the shell this directory ships, and the test scripts, pass
// shellcheck.
func TestShellcheck(t *testing.T) {
	sc := need(t, "shellcheck", "shellcheck")
	files := []string{"install.sh", "build-deb.sh", "debian/postinst", "debian/prerm", "debian/postrm", "debian/preinst-armhf", "../../scripts/test-arm64.sh",
		"../../scripts/vm/test.sh", "../../scripts/vm/fetch.sh", "../../scripts/vm/build.sh", "../../scripts/vm/run.sh", "../../scripts/vm/powercut-host.sh", "../../scripts/vm/init"}
	if out, err := exec.Command(sc, append([]string{"--shell=sh"}, files...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// hostBinary is the release binary this machine runs, for install.sh tests.
func hostBinary(t *testing.T) string {
	t.Helper()
	for _, a := range debArchs {
		if a.arch == runtime.GOARCH {
			return filepath.Join(buildDist(t), a.binary)
		}
	}
	t.Skipf("no release binary runs on %s", runtime.GOARCH)
	return ""
}

// hostDeb is the package this machine can run the binary of.
func hostDeb(t *testing.T) string {
	t.Helper()
	hostBinary(t) // skips where none runs
	return filepath.Join(buildDist(t), "edgeagent_"+debVersion+"_"+runtime.GOARCH+".deb")
}
