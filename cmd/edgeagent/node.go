package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/nodelink"
)

// cmdNode is "node pin": a keypad verifier line for a [[node]]'s pins. The
// hub keeps argon2id verifiers of its own PINs, never the PIN, so it cannot
// make the node's PBKDF2 verifier itself: whoever sets the PIN runs this and
// pastes the line into the config.
func cmdNode(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "pin" {
		return usagef("usage: edgeagent node pin --user N [--iterations N] < PIN")
	}
	fs := newFlagSet("node pin")
	user := fs.Uint("user", 0, "the keypad user's number, reported in the audit log")
	iterations := fs.Uint("iterations", uint(devices.DefaultNodeOpts.Iterations), "PBKDF2 iterations (the same for every PIN of one node)")
	if pos, err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("node pin takes no arguments (the PIN is read from standard input)")
	}
	if !flagSet(fs, "user") {
		return usagef("node pin needs --user N")
	}
	if *user > 1<<32-1 {
		return usagef("--user %d is over %d", *user, uint32(1<<32-1))
	}
	if *iterations < 1 || *iterations > nodelink.MaxIterations {
		return usagef("--iterations %d outside 1..%d", *iterations, nodelink.MaxIterations)
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the PIN from stdin: %w", err)
	}
	pin := strings.TrimRight(line, "\r\n")
	if pin == "" {
		return usagef("node pin: no PIN on standard input")
	}
	var salt [nodelink.SaltLen]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return fmt.Errorf("salt: %w", err)
	}
	e, err := nodelink.NewPINEntry(uint32(*user), pin, salt, uint32(*iterations))
	if err != nil {
		return usagef("%v", strings.TrimPrefix(err.Error(), "nodelink: "))
	}
	_, err = fmt.Fprintf(stdout, "%q,\n", e.Line(uint32(*iterations)))
	return err
}
