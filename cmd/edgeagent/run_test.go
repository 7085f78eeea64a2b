package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/store"
)

// relays are the test config's output pins.
var relays = []string{"GPIO17", "GPIO5", "GPIO13", "GPIO6", "GPIO23", "GPIO24"}

// Every step after devices.New that can fail (a config value only checked
// when used, a store held by another process, an admin socket another
// agent answers on, a LAN port taken) refuses the start with the right
// exit code and leaves every output at its safe level, with no admin
// socket of its own left behind (and another agent's untouched). The
// relays start energised, as a crashed agent could have left them.
func TestRunFailuresAfterDevicesLeaveOutputsSafe(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, cfg *config.Config) // makes the step fail
		code  int
		want  string
	}{
		{"unreadable authority key", func(t *testing.T, cfg *config.Config) {
			p := filepath.Join(t.TempDir(), "authority.pub")
			if err := os.WriteFile(p, []byte("not a key"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg.Auth.Authorities = append(cfg.Auth.Authorities, p)
		}, 2, "authority key"},
		{"store held by another process", func(t *testing.T, cfg *config.Config) {
			holder, _, err := store.Open(cfg.StorePath(), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { holder.Close() })
		}, 1, "held by another process"},
		{"admin socket answered by another agent", func(t *testing.T, cfg *config.Config) {
			if err := os.MkdirAll(filepath.Dir(cfg.SocketPath()), 0o700); err != nil {
				t.Fatal(err)
			}
			other, err := net.Listen("unix", cfg.SocketPath())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { other.Close() })
			go func() {
				for {
					c, err := other.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
		}, 1, "another agent is running there"},
		{"LAN port taken", func(t *testing.T, cfg *config.Config) {
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { taken.Close() })
			cfg.LAN.Listen = taken.Addr().String()
		}, 1, "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "edgeagent.toml")
			if err := os.WriteFile(cfgPath, []byte(testConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(runFlags{config: cfgPath, dataDir: filepath.Join(dir, "data")})
			if err != nil {
				t.Fatal(err)
			}
			tc.setup(t, cfg)
			_, otherSocket := os.Stat(cfg.SocketPath())
			sim := devices.NewSim(nil)
			for _, name := range relays {
				p, _ := sim.Pin(name)
				p.Out(gpio.High)
			}
			err = run(context.Background(), cfg, devices.Options{Pin: sim.Pin, Thermometer: sim.Thermometer}, true, slog.New(slog.DiscardHandler))
			var stderr bytes.Buffer
			if code := exitCode(err, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("run = %v: exit %d, stderr %q; want %d and %q", err, code, stderr.String(), tc.code, tc.want)
			}
			for _, name := range relays {
				p, _ := sim.Pin(name)
				if p.Read() != gpio.Low {
					t.Errorf("%s is %s after a refused start, want low (de-energised)", name, p.Read())
				}
			}
			_, after := os.Stat(cfg.SocketPath())
			if (otherSocket == nil) != (after == nil) {
				t.Errorf("admin socket before the start: %v, after the refused start: %v", otherSocket, after)
			}
		})
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
