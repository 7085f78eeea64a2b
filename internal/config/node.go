package config

import (
	"fmt"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/nodelink"
)

// Node is a [[node]] table: an actuator node of firmware/ on a serial port
// (docs/operations.md, "Actuator nodes"). Keys left out take
// devices.DefaultNodeOpts.
type Node struct {
	ID   string `toml:"id"`
	Name string `toml:"name"`
	// Kind is "lock" or "boiler": the image flashed on the node.
	Kind string `toml:"kind"`
	// Port is the serial device, e.g. "/dev/ttyAMA0" or "/dev/ttyUSB0".
	Port string `toml:"port"`
	Baud int    `toml:"baud"`
	// UnlockFor is the unlock pulse; the node ends it itself.
	UnlockFor Duration `toml:"unlock_for"`
	// PINs are the keypad's verifiers, one line of `edgeagent node pin`
	// each (USER:pbkdf2-sha256:ITERATIONS:SALT:HASH): the hub keeps only
	// argon2id verifiers of its own PINs, so the node's must come from
	// whoever sets the PIN. All of one node's share their iterations.
	PINs []string `toml:"pins"`
}

// opts maps the table onto devices.NodeOpts; the error is the first PIN
// line it cannot read, with the key it is at.
func (d Node) opts() (devices.NodeOpts, string, error) {
	o := devices.DefaultNodeOpts
	o.ID, o.Name, o.Kind, o.Port = d.ID, d.Name, d.Kind, d.Port
	if d.Baud != 0 {
		o.Baud = d.Baud
	}
	setDuration(&o.UnlockFor, d.UnlockFor)
	users := map[uint32]int{}
	for i, line := range d.PINs {
		key := fmt.Sprintf("pins[%d]", i)
		e, it, err := nodelink.ParsePINLine(line)
		if err != nil {
			return o, key, err
		}
		if i == 0 {
			o.Iterations = it
		} else if it != o.Iterations {
			return o, key, fmt.Errorf("%d iterations, pins[0] has %d: the node takes one count for its whole table (make the PIN again with --iterations %d)", it, o.Iterations, o.Iterations)
		}
		if j, dup := users[e.User]; dup {
			return o, key, fmt.Errorf("user %d is also pins[%d]: the audit log could not tell them apart", e.User, j)
		}
		users[e.User] = i
		o.PINs = append(o.PINs, e)
	}
	return o, "", nil
}

// validateNodes checks the [[node]] tables: ids shared with every device,
// a port used once, the PIN lines, and what devices.NodeOpts accepts.
func (c *Config) validateNodes(v *validator) {
	ports := map[string]string{}
	for i, d := range c.Nodes {
		w := v.id("node", i, d.ID)
		if other := ports[d.Port]; other != "" && d.Port != "" {
			v.fail(w+".port", "%q is already the port of %s: one node per serial line", d.Port, other)
		}
		ports[d.Port] = w
		o, key, err := d.opts()
		if err != nil {
			v.fail(w+"."+key, "%v", err)
			continue
		}
		if len(d.PINs) > 0 && d.Kind == devices.NodeBoiler {
			v.fail(w+".pins", "a boiler node has no keypad")
		}
		v.device(w, o.Validate())
	}
}

// nodeOpts maps every [[node]] (validated: the PIN lines read).
func (c *Config) nodeOpts() []devices.NodeOpts {
	var out []devices.NodeOpts
	for _, d := range c.Nodes {
		o, _, _ := d.opts()
		out = append(out, o)
	}
	return out
}
