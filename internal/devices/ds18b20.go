package devices

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DS18B20 reads a DS18B20 1-Wire temperature sensor through the Linux w1
// sysfs interface: Root/ID/w1_slave (Root is usually /sys/bus/w1/devices).
// Reading the file starts a conversion, which takes about 750 ms.
type DS18B20 struct {
	Root string
	ID   string // e.g. "28-00000a1b2c3d"
}

// Temperature implements Thermometer.
func (d DS18B20) Temperature() (float64, error) {
	b, err := os.ReadFile(filepath.Join(d.Root, d.ID, "w1_slave"))
	if err != nil {
		return 0, fmt.Errorf("ds18b20 %s: %w", d.ID, err)
	}
	c, err := parseW1Slave(b)
	if err != nil {
		return 0, fmt.Errorf("ds18b20 %s: %w", d.ID, err)
	}
	return c, nil
}

// parseW1Slave decodes the kernel's two-line answer:
//
//	72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
//	72 01 4b 46 7f ff 0e 10 57 t=23125
//
// The first line must end in YES (the scratchpad CRC matched); the second
// holds millidegrees.
func parseW1Slave(b []byte) (float64, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return 0, errors.New("short answer from w1_slave")
	}
	if !strings.HasSuffix(strings.TrimSpace(lines[0]), "YES") {
		return 0, errors.New("CRC check failed (a noisy or loose 1-Wire bus)")
	}
	i := strings.LastIndex(lines[1], "t=")
	if i < 0 {
		return 0, errors.New("no t= in w1_slave")
	}
	m, err := strconv.Atoi(strings.TrimSpace(lines[1][i+2:]))
	if err != nil {
		return 0, fmt.Errorf("bad t= in w1_slave: %q", lines[1][i+2:])
	}
	if m == 85000 {
		return 0, ErrPowerOnReset
	}
	c := float64(m) / 1000
	if c < minTemp || c > maxTemp {
		return 0, fmt.Errorf("%g °C is outside the DS18B20's range", c)
	}
	return c, nil
}
