package main

// Apple Home with no cloud: the HomeKit bridge (internal/homekit) as a
// service of the agent, and `edgeagent homekit show|reset`, which read and
// change its pairing record in the security directory directly (root's,
// like the config; the agent need not run for show, must not run for
// reset).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// homekitPart is the HomeKit bridge and what runs it; bridge is nil when
// [homekit] is off.
type homekitPart struct {
	bridge *homekit.Bridge
	// count counts each write by result in the metrics; newHomes sets it
	// (the metrics come after the LAN, which shows the bridge's setup code)
	// before the bridge runs. Nil: not counted.
	count func(result string)
}

// newHomeKit builds the bridge from [homekit].
func newHomeKit(p *parts) (*homekitPart, error) {
	part := &homekitPart{}
	h := p.cfg.HomeKit
	if !h.Enabled {
		return part, nil
	}
	h = h.WithDefaults()
	st, err := homekit.OpenStore(p.sec)
	if err != nil {
		return nil, err
	}
	b, err := homekit.New(homekit.Options{
		Listen: h.Listen, Interfaces: h.Interfaces, Name: h.Name, Lights: h.Lights,
		Principal: localauth.Principal{Name: h.Principal, Role: wire.Role(h.Role), Devices: h.Devices, Actions: h.Actions},
		Devices:   p.hub, Decider: p.keeper, Store: st, Version: version,
		OnCommand: func(result string) {
			if part.count != nil {
				part.count(result)
			}
		},
		Log: p.log.With("part", "homekit"),
	})
	if err != nil {
		return nil, err
	}
	p.log.Info("homekit bridge", "listen", h.Listen, "principal", h.Principal, "role", h.Role, "actions", h.Actions, "paired", b.Status().Paired)
	part.bridge = b
	return part, nil
}

// status is the bridge's status for the admin socket and the LAN (an
// owner's web app shows its setup code); nil when it is off.
func (h *homekitPart) status() func() homekit.Status {
	if h.bridge == nil {
		return nil
	}
	return h.bridge.Status
}

// services is the bridge, optional (a failure is logged; local control
// goes on); none when it is off.
func (h *homekitPart) services() []service {
	if h.bridge == nil {
		return nil
	}
	return []service{{name: "homekit", run: func(ctx context.Context) error { return h.bridge.Run(ctx, nil) }, optional: true}}
}

const homekitUsage = "usage: edgeagent homekit show --config FILE [--data-dir DIR] [--json] | homekit reset --config FILE [--data-dir DIR] [--new-code]"

func cmdHomeKit(args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "reset") {
		return usagef(homekitUsage)
	}
	var file, dataDir string
	var asJSON, newCode bool
	fs := newFlagSet("homekit " + args[0])
	fs.StringVar(&file, "config", "", "agent config file (its data_dir holds the pairing record)")
	fs.StringVar(&dataDir, "data-dir", "", "data directory (overrides data_dir, as for run)")
	if args[0] == "show" {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	} else {
		fs.BoolVar(&newCode, "new-code", false, "also draw a new setup code at the next start")
	}
	if pos, err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 || file == "" {
		return usagef(homekitUsage)
	}
	cfg, err := config.Load(file)
	if err != nil {
		return configError{err}
	}
	if dataDir != "" {
		cfg.DataDir = dataDir
	}
	sec, err := secstate.Open(cfg.SecStatePath())
	if err != nil {
		return err
	}
	st, err := homekit.OpenStore(sec)
	if err != nil {
		return err
	}
	if args[0] == "reset" {
		// The running bridge would write its pairings back: stop it first.
		if c, err := net.DialTimeout("unix", cfg.SocketPath(), time.Second); err == nil {
			c.Close()
			return fmt.Errorf("the agent is running (%s answers): stop it, reset, start it", cfg.SocketPath())
		}
		n, err := st.Forget(newCode)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "forgot %d pairing(s); pair again from the Home app after the agent starts\n", n)
		return nil
	}
	s := st.Stored()
	s.Name, s.Listen = cfg.HomeKit.WithDefaults().Name, cfg.HomeKit.Listen
	if asJSON {
		return json.NewEncoder(stdout).Encode(s)
	}
	if s.SetupCode == "" {
		fmt.Fprintln(stdout, "homekit: no setup code yet: start the agent once with [homekit] enabled = true")
		return nil
	}
	fmt.Fprintf(stdout, "name        %s\nlisten      %s\nsetup code  %s\nsetup URI   %s   (a QR code of it: qrencode -t ANSI '%s')\ndevice id   %s\npairings    %d\n",
		s.Name, s.Listen, s.SetupCode, s.SetupURI, s.SetupURI, s.DeviceID, s.Pairings)
	if s.Paired {
		fmt.Fprintln(stdout, "paired: new controllers are added from the Home app of a paired one (edgeagent homekit reset to start over)")
	}
	return nil
}
