package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
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
	cfg, err := loadConfig(cfgPath, filepath.Join(dir, "data"), "")
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
