package main

import (
	"fmt"
	"io"
	"strings"
)

// Per-command help is cut from the one usage text, so that the overview and
// "edgeagent CMD --help" cannot drift apart.

// socketNote follows the help of every command that talks to a running agent.
const socketNote = `
The agent is found with --data-dir DIR (socket DIR/admin.sock), --socket PATH,
or --config FILE (its admin_socket / data_dir); default /var/lib/edgeagent/admin.sock.
`

// actionsNote follows the help of "device set".
const actionsNote = `
device actions: lock unlock | on off toggle | set-setpoint N | open close stop set-position N
simulated inputs (--sim only): press door-open door-close | open close | motion clear
                               | set-temperature N sensor-fail sensor-ok
`

// socketCommands are the first words of the commands that use socketFlags.
var socketCommands = map[string]bool{"status": true, "device": true, "events": true, "credentials": true, "audit": true}

// wantsHelp reports whether args ask for help: -h, -help or --help before
// any "--" (after it, everything is a positional argument).
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// printCommandHelp prints the usage of the command that args name ("device
// set", "grant", "split FILE" -> "split") and reports whether one was found.
func printCommandHelp(w io.Writer, args []string) bool {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") || len(words) == 2 {
			break
		}
		words = append(words, a)
	}
	for n := len(words); n > 0; n-- {
		if text := commandUsage(strings.Join(words[:n], " ")); text != "" {
			fmt.Fprint(w, "usage:\n"+text)
			if socketCommands[words[0]] {
				fmt.Fprint(w, socketNote)
			}
			if n == 2 && words[0] == "device" && words[1] == "set" {
				fmt.Fprint(w, actionsNote)
			}
			return true
		}
	}
	return false
}

// commandUsage returns the lines of usage for the command path (one or two
// words) with their continuation lines, or "" when there are none.
func commandUsage(path string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(usage, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "edgeagent "):
			rest := strings.TrimPrefix(t, "edgeagent ")
			in = rest == path || strings.HasPrefix(rest, path+" ")
		case t == "" || !strings.HasPrefix(line, "    "):
			in = false // a blank line or a section heading ends a command
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
