// Package hapctl drives the HomeKit bridge with an independent controller
// in tests: npm's hap-controller (Node), installed once into the user's
// cache directory and reused. It is test support: only _test files import
// it.
package hapctl

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Version is the hap-controller release the tests pin.
const Version = "0.10.2"

//go:embed controller.js
var script []byte

// Dir is where hap-controller is installed: EDGEAGENT_NPM_CACHE, or
// edgeagent-npm under the user's cache directory (beside Go's build cache).
func Dir() (string, error) {
	if d := os.Getenv("EDGEAGENT_NPM_CACHE"); d != "" {
		return filepath.Join(d, "hap-controller-"+Version), nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, "edgeagent-npm", "hap-controller-"+Version), nil
}

// need fails the test under CI=true (CI must not pass by skipping) and
// skips it elsewhere.
func need(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Install makes sure hap-controller is installed and returns the script's
// path. Concurrent test binaries take a lock on the directory.
func Install(t testing.TB) string {
	t.Helper()
	_, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		need(t, "node and npm are not installed (apt-get install nodejs npm; see scripts/system-packages.txt)")
	}
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(dir, "node_modules", "hap-controller", "package.json")
	if b, err := os.ReadFile(pkg); err != nil || !bytes.Contains(b, []byte(`"version": "`+Version+`"`)) {
		if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private": true}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "hap-controller@"+Version)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			need(t, fmt.Sprintf("npm install hap-controller@%s in %s: %v\n%s", Version, dir, err, out))
		}
	}
	path := filepath.Join(dir, "controller.js")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Request is one controller session.
type Request struct {
	ID          string          `json:"id"` // the bridge's device id
	Host        string          `json:"host"`
	Port        int             `json:"port"`
	Pin         string          `json:"pin,omitempty"`     // XXX-XX-XXX: pair-setup first
	Pairing     json.RawMessage `json:"pairing,omitempty"` // a Response.Pairing: pair-verify
	Accessories bool            `json:"accessories,omitempty"`
	Writes      []Write         `json:"writes,omitempty"`
	Reads       []Ref           `json:"reads,omitempty"`
}

// Ref names a characteristic.
type Ref struct {
	AID uint64 `json:"aid"`
	IID uint64 `json:"iid"`
}

// Write sets a characteristic.
type Write struct {
	Ref
	Value any `json:"value"`
}

// Characteristic is one entry of the accessory database or a read.
type Characteristic struct {
	AID     uint64 `json:"aid"`
	IID     uint64 `json:"iid"`
	Service string `json:"service"`
	Type    string `json:"type"`
	Value   any    `json:"value"`
	Status  int    `json:"status"`
}

// Response is the session's result. Error is set when pairing, pair-verify
// or the session failed; each write has its own HAP status (0: done).
type Response struct {
	Error           string           `json:"error"`
	Pairing         json.RawMessage  `json:"pairing"`
	Characteristics []Characteristic `json:"characteristics"`
	Writes          []struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	} `json:"writes"`
	Reads []Characteristic `json:"reads"`
}

// Find returns the characteristic of type typ (HAP short form, e.g. "1E")
// on accessory aid.
func (r Response) Find(aid uint64, typ string) (Characteristic, bool) {
	for _, c := range r.Characteristics {
		if c.AID == aid && (c.Type == typ || c.Type == fullType(typ)) {
			return c, true
		}
	}
	return Characteristic{}, false
}

func fullType(short string) string {
	n, err := strconv.ParseUint(short, 16, 32)
	if err != nil {
		return short
	}
	return fmt.Sprintf("%08X-0000-1000-8000-0026BB765291", n)
}

// Run runs one session with the controller script (from Install).
func Run(t testing.TB, script string, req Request) Response {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hap-controller: %v\n%s", err, stderr.String())
	}
	var resp Response
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatalf("hap-controller answer %q: %v\n%s", stdout.String(), err, stderr.String())
	}
	return resp
}
