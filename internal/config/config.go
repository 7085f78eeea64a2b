// Package config owns the agent's configuration file: its schema, strict
// decoding (an unknown key, a wrong type or a missing field is an error naming
// the file, line, key and value) and the validation of what the decoder cannot
// see (a pin used twice, a duplicate device id).
//
// It owns no device defaults nor ranges: Devices maps the device tables onto
// the devices package's options (a key left out keeps that package's default),
// and validation asks that package what it accepts, naming the file's key
// (boiler[1] (hall).setpoint) in the error.
//
// The file is TOML. Devices are arrays of tables, one array per kind
// ([[lock]], [[switch]], [[boiler]], [[cover]], [[input]]), so that a key that
// belongs to another kind is an unknown key, not a silently ignored one.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

// Config is the whole agent configuration.
type Config struct {
	// Site is the site id: the audience of grants and the MQTT topic level.
	Site string `toml:"site"`
	// DataDir holds the store, the admin socket and keys. Default
	// /var/lib/edgeagent.
	DataDir string `toml:"data_dir"`
	// AdminSocket is the admin unix socket. Default DataDir/admin.sock.
	AdminSocket string `toml:"admin_socket"`
	// OneWireRoot is where DS18B20 sensors appear. Default
	// devices.DefaultOneWireRoot (/sys/bus/w1/devices).
	OneWireRoot string `toml:"onewire_root"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `toml:"log_level"`

	Auth Auth `toml:"auth"`
	MQTT MQTT `toml:"mqtt"`
	LAN  LAN  `toml:"lan"`
	// History bounds the local event history.
	History History `toml:"history"`
	BLE     BLE     `toml:"ble"`
	// Metrics is the local Prometheus endpoint.
	Metrics Metrics `toml:"metrics"`
	// HomeAssistant is the local MQTT broker and Home Assistant discovery.
	HomeAssistant HomeAssistant `toml:"homeassistant"`
	// HomeKit is the Apple Home bridge.
	HomeKit HomeKit `toml:"homekit"`

	Locks    []Lock   `toml:"lock"`
	Switches []Switch `toml:"switch"`
	Boilers  []Boiler `toml:"boiler"`
	Covers   []Cover  `toml:"cover"`
	Inputs   []Input  `toml:"input"`
	// Vehicle is a car (vehicle.go).
	Vehicle *Vehicle `toml:"vehicle"`
	Nodes   []Node   `toml:"node"` // actuator nodes of firmware/ (node.go)

	// File is the file it was read from (Parse's name), for paths in it
	// that are relative to it.
	File string `toml:"-"`
}

// Level names the electrical level that energises a relay or means "active"
// for an input: "high" (default) or "low".
type Level string

// Level values.
const (
	High Level = "high"
	Low  Level = "low"
)

// Lock is a door or vehicle lock driven by one relay. Device tables hold
// what the file says; a key left out (zero, "" or nil) takes the devices
// package's default when Devices maps the table (devices.DefaultLockOpts and
// its siblings), and that package validates the values.
type Lock struct {
	ID   string `toml:"id"`
	Name string `toml:"name"`
	// Relay is the output pin (periph name, e.g. "GPIO17").
	Relay string `toml:"relay"`
	// Active is the level that energises the relay.
	Active Level `toml:"active"`
	// Fail is "secure" (de-energised = locked; strikes, motor locks) or
	// "safe" (de-energised = unlocked; maglocks on escape routes).
	Fail string `toml:"fail"`
	// RelockAfter ends an unlock pulse.
	RelockAfter Duration `toml:"relock_after"`
	// Contact is an optional door contact input (active = door open).
	Contact       string `toml:"contact"`
	ContactActive Level  `toml:"contact_active"`
	// ExitButton is an optional request-to-exit input (active = pressed).
	ExitButton       string `toml:"exit_button"`
	ExitButtonActive Level  `toml:"exit_button_active"`
	// LeftOpenAfter raises "door left open" when the door stays open this
	// long. Needs Contact.
	LeftOpenAfter Duration `toml:"left_open_after"`
	// Debounce for the contact and exit button.
	Debounce Duration `toml:"debounce"`
}

// Switch is a relay for a light, a socket or a vehicle immobiliser.
type Switch struct {
	ID     string `toml:"id"`
	Name   string `toml:"name"`
	Relay  string `toml:"relay"`
	Active Level  `toml:"active"`
	// Restore brings the switch back to its persisted state after a restart.
	// An immobiliser sets it to false so that a reboot leaves
	// the vehicle unable to start.
	Restore *bool `toml:"restore"`
}

// Boiler is a heating relay with a temperature sensor and a thermostat.
type Boiler struct {
	ID     string `toml:"id"`
	Name   string `toml:"name"`
	Relay  string `toml:"relay"`
	Active Level  `toml:"active"`
	// Sensor is the DS18B20 1-Wire id, e.g. "28-00000a1b2c3d".
	Sensor string `toml:"sensor"`
	// Setpoint in °C when the mode is "heat".
	Setpoint *float64 `toml:"setpoint"`
	// Hysteresis is the width of the band around the setpoint, in °C:
	// heat below setpoint-hysteresis/2, stop above setpoint+hysteresis/2.
	Hysteresis *float64 `toml:"hysteresis"`
	// Frost is the temperature held even when the mode is "off".
	Frost *float64 `toml:"frost"`
	// MinCycle is the shortest time between two relay changes made by the
	// thermostat.
	MinCycle Duration `toml:"min_cycle"`
	// MaxRun is the longest continuous run before the relay is forced off
	// and an alarm raised.
	MaxRun Duration `toml:"max_run"`
	// Poll is the sensor read interval.
	Poll Duration `toml:"poll"`
	// StaleAfter: with no good reading for this long the relay goes off and
	// an alarm is raised. It must exceed Poll.
	StaleAfter Duration `toml:"stale_after"`
}

// Cover is a curtain or blind with interlocked up and down relays.
type Cover struct {
	ID     string `toml:"id"`
	Name   string `toml:"name"`
	Up     string `toml:"up"`
	Down   string `toml:"down"`
	Active Level  `toml:"active"`
	// Travel is the time from fully closed to fully open.
	Travel Duration `toml:"travel"`
	// ReverseDelay is the pause with both relays off before the motor runs
	// the other way.
	ReverseDelay Duration `toml:"reverse_delay"`
}

// Input is a button, a contact or a motion sensor.
type Input struct {
	ID   string `toml:"id"`
	Name string `toml:"name"`
	Pin  string `toml:"pin"`
	// Type is "button", "contact" or "motion".
	Type string `toml:"type"`
	// Active is the level that means pressed / open / motion.
	Active Level `toml:"active"`
	// Pull is "up", "down" or "none".
	Pull string `toml:"pull"`
	// Debounce: a level must hold this long to count.
	Debounce Duration `toml:"debounce"`
}

// Duration is a time.Duration written as a Go duration string ("5s", "3m").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (write e.g. \"5s\" or \"3m\")", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Default values for optional keys of the agent. Device defaults are the
// devices package's (devices.DefaultLockOpts ...).
const (
	DefaultDataDir = "/var/lib/edgeagent"
)

// Error is a problem in a config file. Line is 0 when the problem is not
// tied to one line (a pin used by two devices).
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		fmt.Fprintf(&b, "%s: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads, decodes and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates data; name is used in errors.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, decodeError(name, err)
	}
	if err := c.validate(name); err != nil {
		return nil, err
	}
	c.applyDefaults()
	c.File = name
	return &c, nil
}

func decodeError(name string, err error) error {
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) && len(sm.Errors) > 0 {
		e := sm.Errors[0]
		row, _ := e.Position()
		return &Error{File: name, Line: row, Key: keyPath(e.Key()), Msg: "unknown key"}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		msg = strings.Replace(msg, "cannot decode TOML ", "wrong type: a TOML ", 1)
		return &Error{File: name, Line: row, Key: keyPath(de.Key()), Msg: msg}
	}
	return &Error{File: name, Msg: err.Error()}
}

func keyPath(k []string) string { return strings.Join(k, ".") }

// validID reports whether s is an id: a lower-case letter or digit, then
// up to 62 of those, - and _. A loop, not a regexp compiled at package
// init, which ran at every start of the agent.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[0] == '_' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validator collects the first problem, naming the device table and key.
type validator struct {
	file string
	err  error
	ids  map[string]string // id -> "lock[0]"
	pins map[string]string // pin -> "lock \"front\" relay"
}

func (v *validator) fail(key, format string, args ...any) {
	if v.err == nil {
		v.err = &Error{File: v.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) id(table string, i int, id string) string {
	key := fmt.Sprintf("%s[%d].id", table, i)
	switch {
	case id == "":
		v.fail(key, "missing")
	case !validID(id):
		v.fail(key, "%q is not a valid id (lower-case letters, digits, - and _, at most 63)", id)
	case v.ids[id] != "":
		v.fail(key, "duplicate device id %q (also %s)", id, v.ids[id])
	default:
		v.ids[id] = fmt.Sprintf("%s[%d]", table, i)
	}
	return fmt.Sprintf("%s[%d] (%s)", table, i, id)
}

func (v *validator) pin(where, key, pin string, required bool) {
	if pin == "" {
		if required {
			v.fail(where+"."+key, "missing")
		}
		return
	}
	if other := v.pins[pin]; other != "" {
		v.fail(where+"."+key, "pin %q is already used by %s", pin, other)
		return
	}
	v.pins[pin] = where + "." + key
}

func (v *validator) level(where, key string, l Level) {
	if l != "" && l != High && l != Low {
		v.fail(where+"."+key, "%q is not a level (high or low)", string(l))
	}
}

func (v *validator) positive(where, key string, d Duration) {
	if d < 0 {
		v.fail(where+"."+key, "%s is negative", d.D())
	}
}

// CheckSite checks a site id (also the one given with --site): it becomes
// an MQTT topic level and the audience of grants, so /, +, # and NUL, which
// would split or widen a topic, never pass.
func CheckSite(s string) error {
	if s == "" {
		return errors.New("missing")
	}
	if !validID(s) {
		return fmt.Errorf("%q is not a valid site id (lower-case letters, digits, - and _, at most 63)", s)
	}
	return nil
}

func (c *Config) validate(file string) error {
	v := &validator{file: file, ids: map[string]string{}, pins: map[string]string{}}
	if err := CheckSite(c.Site); err != nil {
		v.fail("site", "%v", err)
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		v.fail("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	c.Auth.validate(v)
	c.MQTT.validate(v)
	c.LAN.validate(v)
	c.History.validate(v)
	c.BLE.validate(v)
	c.Metrics.validate(v)
	c.HomeAssistant.validate(v, c)
	c.Vehicle.validate(v, c)
	c.HomeKit.validate(v, c)
	c.validateNodes(v)
	for i, d := range c.Locks {
		w := v.id("lock", i, d.ID)
		v.pin(w, "relay", d.Relay, true)
		v.pin(w, "contact", d.Contact, false)
		v.pin(w, "exit_button", d.ExitButton, false)
		v.level(w, "active", d.Active)
		v.level(w, "contact_active", d.ContactActive)
		v.level(w, "exit_button_active", d.ExitButtonActive)
		if d.LeftOpenAfter != 0 && d.Contact == "" {
			v.fail(w+".left_open_after", "needs a contact pin to know the door is open")
		}
		v.device(w, d.opts().Validate())
	}
	for i, d := range c.Switches {
		w := v.id("switch", i, d.ID)
		v.pin(w, "relay", d.Relay, true)
		v.level(w, "active", d.Active)
		v.device(w, d.opts().Validate())
	}
	for i, d := range c.Boilers {
		w := v.id("boiler", i, d.ID)
		v.pin(w, "relay", d.Relay, true)
		v.level(w, "active", d.Active)
		v.device(w, d.opts().Validate())
	}
	for i, d := range c.Covers {
		w := v.id("cover", i, d.ID)
		v.pin(w, "up", d.Up, true)
		v.pin(w, "down", d.Down, true)
		v.level(w, "active", d.Active)
		v.device(w, d.opts().Validate())
	}
	for i, d := range c.Inputs {
		w := v.id("input", i, d.ID)
		v.pin(w, "pin", d.Pin, true)
		v.level(w, "active", d.Active)
		if _, ok := pulls[d.Pull]; !ok && d.Pull != "" {
			v.fail(w+".pull", `%q is not "up", "down" or "none"`, d.Pull)
		}
		v.device(w, d.opts().Validate())
	}
	return v.err
}

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
}

// StorePath is the bbolt file inside the data dir.
func (c *Config) StorePath() string { return filepath.Join(c.DataDir, "state.db") }

// SecStatePath is the directory of the security state kept apart from
// the store (package secstate), beside the bbolt file.
func (c *Config) SecStatePath() string { return filepath.Join(c.DataDir, "security") }

// SocketPath is the admin socket, defaulting to DataDir/admin.sock.
func (c *Config) SocketPath() string {
	if c.AdminSocket != "" {
		return c.AdminSocket
	}
	return filepath.Join(c.DataDir, "admin.sock")
}
