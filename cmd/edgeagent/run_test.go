package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/store"
)

// A store held by another process: run refuses to start with a clear error,
// and by then every output is at its safe level.
func TestRunWithHeldStoreLeavesOutputsSafe(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "edgeagent.toml")
	if err := os.WriteFile(cfgPath, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(runFlags{config: cfgPath, dataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	holder, _, err := store.Open(cfg.StorePath(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	sim := devices.NewSim(nil)
	// The relays start energised, as a crashed agent could have left them.
	for _, name := range []string{"GPIO17", "GPIO5", "GPIO13", "GPIO6", "GPIO23", "GPIO24"} {
		p, _ := sim.Pin(name)
		p.Out(gpio.High)
	}
	err = run(context.Background(), cfg, devices.Options{Pin: sim.Pin, Thermometer: sim.Thermometer}, true, slog.New(slog.DiscardHandler))
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("run = %v, want ErrLocked", err)
	}
	for _, name := range []string{"GPIO17", "GPIO5", "GPIO13", "GPIO6", "GPIO23", "GPIO24"} {
		p, _ := sim.Pin(name)
		if p.Read() != gpio.Low {
			t.Errorf("%s is %s after a refused start, want low (de-energised)", name, p.Read())
		}
	}
	if _, err := os.Stat(cfg.SocketPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused start left an admin socket: %v", err)
	}
}

// A flag that overrides a config key is held to that key's rules: a site
// with a topic separator or wildcard would make the agent publish and
// subscribe outside its own topics. Each is refused with exit code 2 and
// the flag named, before anything starts (no data dir is created).
func TestRunFlagsValidated(t *testing.T) {
	for _, tc := range []struct{ flag, value, want string }{
		{"--site", "home/1", `--site: "home/1" is not a valid site id`},
		{"--site", "home+", `--site: "home+" is not a valid site id`},
		{"--site", "#", `--site: "#" is not a valid site id`},
		{"--site", "home\x00", `--site: "home\x00" is not a valid site id`},
		{"--site", "Home", `--site: "Home" is not a valid site id`},
		{"--listen", "8443", `--listen: "8443" is not HOST:PORT`},
		{"--listen", ":https", `--listen: ":https": port "https" is not a number`},
		{"--listen", ":99999", `--listen: ":99999": port "99999" is not a number`},
		{"--broker", "http://x", `--broker: "http://x": scheme "http"`},
	} {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			var stderr bytes.Buffer
			code := Main([]string{"run", "--config", exampleConfig, "--sim", "--data-dir", data, tc.flag, tc.value}, nil, io.Discard, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
			if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("data dir touched before the flags were checked: %v", err)
			}
		})
	}
}
