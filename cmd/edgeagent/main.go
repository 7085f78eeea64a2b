// Command edgeagent is the hub daemon and its command-line tools. main is
// thin: it picks a subcommand, parses its flags and turns the error it
// returns into an exit code (0 ok, 1 failure, 2 bad usage or config).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// version is stamped by the build (-ldflags "-X main.version=...").
var version = "dev"

const usage = `edgeagent: local-first control for smart-home hubs and vehicle units

usage:
  edgeagent demo [--listen ADDR] [--dir DIR]      (a simulated home, its cloud and the web app:
                                                 the offline story in one command)
  edgeagent run --config FILE [--sim] [--data-dir DIR] [--site ID] [--authority FILE.pub]...
                [--listen ADDR] [--broker URL]
  edgeagent config check FILE
  edgeagent status [--json]                      (reads the admin socket)
  edgeagent device list [--json]
  edgeagent device set ID ACTION [VALUE] [--json]
  edgeagent events [--after SEQ] [--limit N] [--json]
  edgeagent do --agent https://HOST:PORT --fingerprint SHA256 --grant FILE [--owner-grant FILE]
               --key FILE DEVICE ACTION [VALUE]   (a phone key's action over the LAN API)
  edgeagent ble-phone --grant FILE [--owner-grant FILE] --key FILE [--adapter hciN]
               [--name NAME | --site ID] [--bus ADDRESS] DEVICE ACTION [VALUE]
                                                 (the same over Bluetooth LE, through this
                                                 machine's BlueZ; --bus: a test's bus with a fake BlueZ)
  edgeagent credentials import FILE... [--json]  (signed grants, revocation snapshots)
  edgeagent audit verify [--file STATE.DB [--security-dir DIR]] [--json]
                                                 (walks the hash-chained audit log)
  edgeagent homekit show --config FILE [--json]  (Apple Home: setup code, QR payload, pairings)
  edgeagent homekit reset --config FILE [--new-code]   (forget every pairing; the agent stopped)
  edgeagent rpi bootconfig --config FILE [--rtc CHIP] [--w1-pin N]   (config.txt lines)
  edgeagent node pin --user N [--iterations N] < PIN   (a keypad verifier line for a [[node]]'s pins)
  edgeagent version
  edgeagent help [COMMAND]                       (or: edgeagent COMMAND --help)

offline issuer (no network, no agent needed):
  edgeagent authority init --dir DIR
  edgeagent key new --out FILE [--alg ed25519|p256]
  edgeagent grant issue --authority DIR --site ID --holder FILE.pub --name NAME --role ROLE
                        --devices a,b [--actions ...] [--not-before T] [--not-after T]
                        [--schedule "mon-fri 08:00-18:00"] [--pin-stdin] [--requires-trusted-time] --out FILE
  edgeagent grant delegate --owner-grant F --owner-key F --holder F.pub --name NAME --devices ...
                        --not-after T [...] --out FILE
  edgeagent grant show FILE [--authority DIR|FILE.pub] [--json]
  edgeagent revoke --authority DIR --site ID --serial N --grant ID... [--key ID...] --out FILE

cloud side (signed messages for the cmd and cfg topics: mosquitto_pub -f FILE):
  edgeagent command sign --authority DIR --site ID --device ID --action ACTION [--value V]
                        [--expires-in 30s] [--issued-at T] [--id HEX] --out FILE
  edgeagent settings sign --authority DIR --site ID --version N [--boiler-mode ID=heat|off]...
                        [--boiler-setpoint ID=21.5]... [--issued-at T] --out FILE
  edgeagent split FILE --out PREFIX [--max BYTES]   (a document over 128 KiB into parts for .../cred/NAME/0, /1, ...)

The socket commands find the agent with --data-dir DIR (socket DIR/admin.sock),
--socket PATH, or --config FILE (its admin_socket / data_dir).

device actions: lock unlock | on off toggle | set-setpoint N | open close stop set-position N
simulated inputs (--sim only): press door-open door-close | open close | motion clear
                               | set-temperature N sensor-fail sensor-ok
`

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs one command and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return exitCode(dispatch(args, stdin, stdout, stderr), stderr)
}

// exitCode is the one place an error becomes an exit code (and its line
// on stderr).
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var ce configError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "edgeagent: %s\n(run 'edgeagent help' for usage)\n", ue.msg)
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "edgeagent: %s\n", ce.err)
		return 2
	default:
		fmt.Fprintf(stderr, "edgeagent: %s\n", err)
		return 1
	}
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" && len(rest) > 0 && printCommandHelp(stdout, rest) {
		return nil
	}
	if wantsHelp(rest) && printCommandHelp(stdout, args) {
		return nil
	}
	switch cmd {
	case "run":
		return cmdRun(rest, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "edgeagent %s\n", version)
		return nil
	case "config":
		if len(rest) == 0 || rest[0] != "check" {
			return usagef("usage: edgeagent config check FILE")
		}
		return cmdConfigCheck(rest[1:], stdout)
	case "status":
		return cmdStatus(rest, stdout)
	case "device":
		if len(rest) == 0 {
			return usagef("usage: edgeagent device list | device set ID ACTION [VALUE]")
		}
		switch rest[0] {
		case "list":
			return cmdDeviceList(rest[1:], stdout)
		case "set":
			return cmdDeviceSet(rest[1:], stdout)
		}
		return usagef("unknown device command %q (list, set)", rest[0])
	case "events":
		return cmdEvents(rest, stdout)
	case "do":
		return cmdDo(rest, stdout)
	case "ble-phone":
		return cmdBLEPhone(rest, stdout)
	case "command":
		return cmdCommand(rest, stdout)
	case "settings":
		return cmdSettings(rest, stdout)
	case "split":
		return cmdSplit(rest, stdout)
	case "authority":
		return cmdAuthority(rest, stdout)
	case "key":
		return cmdKey(rest, stdout)
	case "grant":
		return cmdGrant(rest, stdin, stdout)
	case "revoke":
		return cmdRevoke(rest, stdout)
	case "credentials":
		return cmdCredentials(rest, stdout)
	case "audit":
		return cmdAudit(rest, stdout)
	case "rpi":
		return cmdRPI(rest, stdout)
	case "homekit":
		return cmdHomeKit(rest, stdout)
	case "node":
		return cmdNode(rest, stdin, stdout)
	case "demo":
		return cmdDemo(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usagef("unknown command %q", cmd)
}

// parseInterspersed parses flags wherever they stand among the positional
// arguments ("device set door unlock --json"), returning the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
