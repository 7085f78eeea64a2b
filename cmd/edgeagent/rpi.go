package main

import (
	"fmt"
	"io"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/rpi"
)

const rpiUsage = "usage: edgeagent rpi bootconfig --config FILE [--rtc CHIP] [--w1-pin N]"

// cmdRPI handles "edgeagent rpi bootconfig": it prints the config.txt lines
// that hold every output of the config at its safe level from power-on
// (deploy/rpi/install.sh writes them between markers in config.txt).
func cmdRPI(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "bootconfig" {
		return usagef("%s", rpiUsage)
	}
	var (
		cfgPath string
		opts    rpi.Options
	)
	fs := newFlagSet("rpi bootconfig")
	fs.StringVar(&cfgPath, "config", "", "config file (TOML)")
	fs.StringVar(&opts.RTC, "rtc", "", "I2C real-time clock chip, e.g. ds3231")
	fs.IntVar(&opts.OneWirePin, "w1-pin", 0, "BCM pin of the 1-Wire bus (default 4)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 || cfgPath == "" {
		return usagef("%s", rpiUsage)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return configError{err}
	}
	lines, err := rpi.BootConfig(cfg, opts)
	if err != nil {
		// A pin the firmware cannot name is a config problem: exit 2.
		return configError{fmt.Errorf("%s: %w", cfgPath, err)}
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(stdout, l); err != nil {
			return err
		}
	}
	return nil
}
