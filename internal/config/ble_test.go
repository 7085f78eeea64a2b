package config

import (
	"strings"
	"testing"
)

func TestBLEConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ body, key string }{
		{`adapter = "wlan0"`, "ble.adapter"},
		{`name_prefix = "my home site"`, "ble.name_prefix"},
		{`max_connections = 50`, "ble.max_connections"},
		{`idle_timeout = "-1s"`, "ble.idle_timeout"},
		{`frames_per_second = -1`, "ble.frames_per_second"},
		{`max_frame_bytes = 100`, "ble.max_frame_bytes"},
		{`writes_per_second = 5`, "ble.writes_per_second"},
		{`writes_per_second = -1`, "ble.writes_per_second"},
		{`bogus = 1`, "ble.bogus"},
	} {
		_, err := Parse("t.toml", []byte("site = \"t\"\n[ble]\n"+c.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: %v, want an error naming %s", c.body, err, c.key)
		}
	}
	cfg, err := Parse("t.toml", []byte("site = \"t\"\n[ble]\nenabled = true\nadapter = \"hci1\"\nmax_connections = 2\nframe_timeout = \"3s\"\nwrites_per_second = 100\n"))
	if err != nil || !cfg.BLE.Enabled || cfg.BLE.Adapter != "hci1" || cfg.BLE.MaxConnections != 2 || cfg.BLE.FrameTimeout.D().Seconds() != 3 || cfg.BLE.WritesPerSecond != 100 {
		t.Fatalf("%+v %v", cfg.BLE, err)
	}
}
