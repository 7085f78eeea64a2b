package config

import "strings"

// BLE configures the phone-key service over Bluetooth LE (internal/ble).
// Zero values take ble.DefaultLimits; the agent runs without BLE, and says
// why in its status, when it is off, or when there is no BlueZ or adapter.
type BLE struct {
	// Enabled turns the service on. Default off.
	Enabled bool `toml:"enabled"`
	// Adapter is the BlueZ adapter. Default hci0.
	Adapter string `toml:"adapter"`
	// NamePrefix starts the advertised name, which ends in 8 hex digits of
	// a hash of the site id (never the site id). Default "edgeagent".
	NamePrefix string `toml:"name_prefix"`
	// MaxConnections is how many phones are served at once. Default 3.
	MaxConnections int `toml:"max_connections"`
	// IdleTimeout drops a phone that completes no frame for this long;
	// default 30s. FrameTimeout drops one that starts a frame and does not
	// finish it; default 5s.
	IdleTimeout  Duration `toml:"idle_timeout"`
	FrameTimeout Duration `toml:"frame_timeout"`
	// FramesPerSecond is each phone's request rate (bursts of twice it);
	// default 4. MaxFrameBytes bounds one frame; default 8192, at most 65535.
	FramesPerSecond int `toml:"frames_per_second"`
	MaxFrameBytes   int `toml:"max_frame_bytes"`
	// WritesPerSecond is each phone's rate of ATT writes (fragments),
	// bursts of twice it; beyond, the phone is dropped. Default 400.
	WritesPerSecond int `toml:"writes_per_second"`
}

// validAdapter reports whether s is a BlueZ adapter name: hci and 1 to 3
// digits.
func validAdapter(s string) bool {
	n, ok := strings.CutPrefix(s, "hci")
	if !ok || len(n) == 0 || len(n) > 3 {
		return false
	}
	for _, c := range []byte(n) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validNamePrefix reports whether s is 1 to 16 letters, digits or dashes.
func validNamePrefix(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (b *BLE) validate(v *validator) {
	if b.Adapter != "" && !validAdapter(b.Adapter) {
		v.fail("ble.adapter", "%q is not a BlueZ adapter name like hci0", b.Adapter)
	}
	if b.NamePrefix != "" && !validNamePrefix(b.NamePrefix) {
		// An advertisement has 31 bytes; the name shares them with the flags
		// and the 128-bit service UUID.
		v.fail("ble.name_prefix", "%q is not 1 to 16 letters, digits or dashes", b.NamePrefix)
	}
	if b.MaxConnections < 0 || b.MaxConnections > 10 {
		v.fail("ble.max_connections", "%d is not from 1 to 10 (0: the default, 3)", b.MaxConnections)
	}
	v.positive("ble", "idle_timeout", b.IdleTimeout)
	v.positive("ble", "frame_timeout", b.FrameTimeout)
	if b.FramesPerSecond < 0 || b.FramesPerSecond > 100 {
		v.fail("ble.frames_per_second", "%d is not from 1 to 100 (0: the default, 4)", b.FramesPerSecond)
	}
	if b.WritesPerSecond != 0 && (b.WritesPerSecond < 20 || b.WritesPerSecond > 2000) {
		// A burst of twice 20 carries an unlock at the smallest MTU (30 writes).
		v.fail("ble.writes_per_second", "%d is not from 20 to 2000 (0: the default, 400)", b.WritesPerSecond)
	}
	if b.MaxFrameBytes != 0 && (b.MaxFrameBytes < 1024 || b.MaxFrameBytes > 65535) {
		v.fail("ble.max_frame_bytes", "%d is not from 1024 to 65535 (0: the default, 8192)", b.MaxFrameBytes)
	}
}
