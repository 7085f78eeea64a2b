package devices

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDS18B20(t *testing.T) {
	const id = "28-00000a1b2c3d"
	tests := []struct {
		name    string
		file    string // w1_slave content; "-" for no file
		want    float64
		wantErr string
		is      error
	}{
		{"good", "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n", 23.125, "", nil},
		{"negative", "5e ff 4b 46 7f ff 02 10 5a : crc=5a YES\n5e ff 4b 46 7f ff 02 10 5a t=-10125\n", -10.125, "", nil},
		{"CRC NO", "72 01 4b 46 7f ff 0e 10 57 : crc=00 NO\n72 01 4b 46 7f ff 0e 10 57 t=23125\n", 0, "CRC", nil},
		{"power-on reset", "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n", 0, "85.0", ErrPowerOnReset},
		{"missing file", "-", 0, id, fs.ErrNotExist},
		{"empty", "", 0, "short", nil},
		{"no t=", "72 01 : crc=57 YES\n72 01 4b 46\n", 0, "no t=", nil},
		{"bad t=", "72 01 : crc=57 YES\n72 01 t=12a\n", 0, "bad t=", nil},
		{"out of range", "72 01 : crc=57 YES\n72 01 t=-127000\n", 0, "range", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.file != "-" {
				if err := os.MkdirAll(filepath.Join(root, id), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, id, "w1_slave"), []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := DS18B20{Root: root, ID: id}.Temperature()
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), id) {
				t.Fatalf("err = %v, want one naming %s and saying %q", err, id, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.is)
			}
		})
	}
}

// FuzzParseW1Slave: the kernel's answer comes from a noisy bus. Any bytes
// give a temperature in the sensor's range that is not 85.0, or an error.
func FuzzParseW1Slave(f *testing.F) {
	f.Add([]byte("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n")) // good
	f.Add([]byte("72 01 4b 46 7f ff 0e 10 57 : crc=00 NO\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"))  // CRC failure
	f.Add([]byte("50 05 : crc=1c YES\n50 05 t=85000\n"))                                           // power-on reset
	f.Add([]byte("ff ff : crc=ff YES\nff ff t=-62\n"))                                             // just below zero
	f.Add([]byte("YES\nt=99999999999999999999\n"))                                                 // overflow
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseW1Slave(b)
		if err != nil {
			return
		}
		if math.IsNaN(c) || c < minTemp || c > maxTemp || c == 85 {
			t.Fatalf("accepted %v from %q", c, b)
		}
	})
}
