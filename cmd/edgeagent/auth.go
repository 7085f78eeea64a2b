package main

// The offline issuer (authority init, key new, grant issue/delegate/show,
// revoke: an owner's laptop can issue a guest key during an outage) and the
// hub-side credential commands (credentials import, audit verify).

import (
	"bufio"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

func cmdAuthority(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "init" {
		return usagef("usage: edgeagent authority init --dir DIR")
	}
	var dir string
	fs := newFlagSet("authority init")
	fs.StringVar(&dir, "dir", "", "directory for authority.key and authority.pub")
	if pos, err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 || dir == "" {
		return usagef("usage: edgeagent authority init --dir DIR")
	}
	id, err := localauth.InitAuthority(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "authority key %s\nprivate: %s (keep it offline)\npublic:  %s (pin it on every hub: --authority or auth.authorities)\n",
		id, filepath.Join(dir, localauth.AuthorityKeyFile), filepath.Join(dir, "authority.pub"))
	return nil
}

func cmdKey(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "new" {
		return usagef("usage: edgeagent key new --out FILE [--alg ed25519|p256]")
	}
	var out, alg string
	fs := newFlagSet("key new")
	fs.StringVar(&out, "out", "", "private key file (public key in FILE.pub)")
	fs.StringVar(&alg, "alg", "ed25519", "ed25519 or p256 (phone secure hardware signs with p256)")
	if pos, err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 || out == "" {
		return usagef("usage: edgeagent key new --out FILE [--alg ed25519|p256]")
	}
	a, err := wire.ParseAlg(alg)
	if err != nil {
		return usagef("--alg: %v", err)
	}
	id, err := localauth.NewKey(out, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key %s (%s)\nprivate: %s\npublic:  %s.pub\n", id, alg, out, out)
	return nil
}

// grantFlags are the grant contents shared by issue and delegate.
type grantFlags struct {
	site, holder, name, role, devices, actions string
	notBefore, notAfter, schedule, out         string
	driveWindow, maxSpeed                      string
	pinStdin, requiresTrustedTime              bool
}

func (g *grantFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&g.site, "site", "", "site id (the hub's)")
	fs.StringVar(&g.holder, "holder", "", "holder public key FILE.pub, or - to read it (PEM) from standard input, as the web app shows it")
	fs.StringVar(&g.name, "name", "", "holder name (the PIN login user)")
	fs.StringVar(&g.role, "role", "", "owner, resident, guest or service; for a car also driver or valet")
	fs.StringVar(&g.devices, "devices", "", "device ids, comma separated, or *")
	fs.StringVar(&g.actions, "actions", "", "actions, comma separated (default all)")
	fs.StringVar(&g.notBefore, "not-before", "", "RFC 3339 time")
	fs.StringVar(&g.notAfter, "not-after", "", "RFC 3339 time")
	fs.StringVar(&g.schedule, "schedule", "", `weekly windows, e.g. "mon-fri 08:00-18:00"`)
	fs.StringVar(&g.out, "out", "", "output file")
	fs.StringVar(&g.driveWindow, "drive-window", "", "a car: the longest drive authorisation this grant may ask for, e.g. 2h (a valet's grant needs one)")
	fs.StringVar(&g.maxSpeed, "max-speed", "", "a car: the speed bound in km/h passed to the car with each drive authorisation")
	fs.BoolVar(&g.pinStdin, "pin-stdin", false, "read a PIN from standard input")
	fs.BoolVar(&g.requiresTrustedTime, "requires-trusted-time", false, "refuse when the hub's time is not anchored")
}

func (g *grantFlags) spec(stdin io.Reader) (localauth.GrantSpec, error) {
	var s localauth.GrantSpec
	if g.out == "" {
		return s, usagef("--out FILE is required")
	}
	if g.holder == "" {
		return s, usagef("--holder FILE.pub is required")
	}
	var pub crypto.PublicKey
	var err error
	if g.holder == "-" {
		// A phone's key pasted from the web app ("Use this phone as a key").
		if g.pinStdin {
			return s, usagef("--holder - and --pin-stdin both read standard input: give the key as a file")
		}
		b, rerr := io.ReadAll(io.LimitReader(stdin, 64<<10))
		if rerr != nil {
			return s, fmt.Errorf("--holder -: reading standard input: %w", rerr)
		}
		if pub, err = wire.ParsePublicKeyPEM(b); err != nil {
			return s, fmt.Errorf("--holder - (standard input): %w", err)
		}
	} else if pub, err = localauth.LoadPublicKey(g.holder); err != nil {
		return s, fmt.Errorf("--holder %s: %w", g.holder, err)
	}
	s = localauth.GrantSpec{
		Site: g.site, Holder: pub, Name: g.name, Role: wire.Role(g.role),
		Schedule: g.schedule, RequiresTrustedTime: g.requiresTrustedTime,
	}
	if g.devices != "" {
		s.Devices = strings.Split(g.devices, ",")
	}
	if g.actions != "" {
		s.Actions = strings.Split(g.actions, ",")
	}
	for _, t := range []struct {
		flag, val string
		dst       *time.Time
	}{{"--not-before", g.notBefore, &s.NotBefore}, {"--not-after", g.notAfter, &s.NotAfter}} {
		if t.val == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.val)
		if err != nil {
			return s, usagef("%s %q is not an RFC 3339 time (e.g. 2026-12-24T18:00:00+01:00)", t.flag, t.val)
		}
		*t.dst = v
	}
	if g.driveWindow != "" {
		d, err := time.ParseDuration(g.driveWindow)
		if err != nil || d < time.Second || d > wire.MaxDriveWindow*time.Second {
			return s, usagef("--drive-window %q: want a duration from 1s to %s (e.g. 2h)", g.driveWindow, wire.MaxDriveWindow*time.Second)
		}
		s.DriveWindow = d
	}
	if g.maxSpeed != "" {
		v, err := strconv.Atoi(g.maxSpeed)
		if err != nil || v < 1 || v > wire.MaxDriveSpeed {
			return s, usagef("--max-speed %q: want km/h from 1 to %d", g.maxSpeed, wire.MaxDriveSpeed)
		}
		s.MaxSpeed = v
	}
	if s.Role == wire.RoleValet && s.DriveWindow == 0 {
		return s, usagef("--role valet needs --drive-window (how long each drive authorisation may last)")
	}
	if g.pinStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return s, fmt.Errorf("reading the PIN from stdin: %w", err)
		}
		s.PIN = strings.TrimRight(line, "\r\n")
		if s.PIN == "" {
			return s, usagef("--pin-stdin: no PIN on standard input")
		}
	}
	return s, nil
}

// writeCredential writes a signed credential without ever leaving a partial
// file under its name.
func writeCredential(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func cmdGrant(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: edgeagent grant issue|delegate|show ...")
	}
	switch args[0] {
	case "issue":
		var g grantFlags
		var authority string
		fs := newFlagSet("grant issue")
		g.register(fs)
		fs.StringVar(&authority, "authority", "", "authority directory (authority.key)")
		if pos, err := parseInterspersed(fs, args[1:]); err != nil {
			return err
		} else if len(pos) > 0 {
			return usagef("grant issue takes no arguments, got %q", pos)
		}
		if authority == "" {
			return usagef("--authority DIR is required")
		}
		signer, err := localauth.LoadAuthority(authority)
		if err != nil {
			return err
		}
		spec, err := g.spec(stdin)
		if err != nil {
			return err
		}
		b, err := localauth.IssueGrant(signer, spec)
		if err != nil {
			return err
		}
		return finishGrant(stdout, g.out, b)
	case "delegate":
		var g grantFlags
		var ownerGrant, ownerKey string
		fs := newFlagSet("grant delegate")
		g.register(fs)
		fs.StringVar(&ownerGrant, "owner-grant", "", "the owner's grant file")
		fs.StringVar(&ownerKey, "owner-key", "", "the owner's private key file")
		if pos, err := parseInterspersed(fs, args[1:]); err != nil {
			return err
		} else if len(pos) > 0 {
			return usagef("grant delegate takes no arguments, got %q", pos)
		}
		if ownerGrant == "" || ownerKey == "" {
			return usagef("--owner-grant FILE and --owner-key FILE are required")
		}
		og, err := os.ReadFile(ownerGrant)
		if err != nil {
			return err
		}
		key, err := localauth.LoadPrivateKey(ownerKey)
		if err != nil {
			return err
		}
		spec, err := g.spec(stdin)
		if err != nil {
			return err
		}
		b, err := localauth.Delegate(og, key, spec)
		if err != nil {
			return err
		}
		return finishGrant(stdout, g.out, b)
	case "show":
		var authorities multiFlag
		var asJSON bool
		fs := newFlagSet("grant show")
		fs.Var(&authorities, "authority", "authority directory or FILE.pub to verify against (repeatable)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		pos, err := parseInterspersed(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("usage: edgeagent grant show FILE [--authority DIR|FILE.pub] [--json]")
		}
		b, err := os.ReadFile(pos[0])
		if err != nil {
			return err
		}
		var pubs []crypto.PublicKey
		for _, a := range authorities {
			if fi, err := os.Stat(a); err == nil && fi.IsDir() {
				a = filepath.Join(a, "authority.pub")
			}
			pub, err := localauth.LoadPublicKey(a)
			if err != nil {
				return fmt.Errorf("--authority %s: %w", a, err)
			}
			pubs = append(pubs, pub)
		}
		if asJSON {
			return showGrantJSON(stdout, b, pubs)
		}
		text, err := localauth.ShowGrant(b, pubs...)
		fmt.Fprint(stdout, text)
		return err
	}
	return usagef("unknown grant command %q (issue, delegate, show)", args[0])
}

// grantJSON is "grant show --json": what a script needs, e.g. the id to
// revoke (jq -r .id). Times are RFC 3339, empty when the grant has none.
type grantJSON struct {
	ID                  wire.ID  `json:"id"`
	Site                string   `json:"site"`
	Name                string   `json:"name"`
	Role                string   `json:"role"`
	HolderKey           wire.ID  `json:"holder_key"`
	HolderAlg           string   `json:"holder_alg"`
	Devices             []string `json:"devices"`
	Actions             []string `json:"actions"`
	NotBefore           string   `json:"not_before,omitempty"`
	NotAfter            string   `json:"not_after,omitempty"`
	Schedule            string   `json:"schedule,omitempty"` // site time
	RequiresTrustedTime bool     `json:"requires_trusted_time"`
	PIN                 bool     `json:"pin"`
	DriveWindow         string   `json:"drive_window,omitempty"` // a car: Go duration
	MaxSpeed            int      `json:"max_speed,omitempty"`    // a car: km/h
	IssuedAt            string   `json:"issued_at,omitempty"`
	DelegatedFrom       string   `json:"delegated_from,omitempty"` // the owner's grant id
	SignerKey           wire.ID  `json:"signer_key"`
	// Signature: "verified", "not_checked" (no authority given, or a
	// delegation, which the hub checks against the owner's grant) or
	// "invalid" (with the reason in error; the exit code is 1).
	Signature string `json:"signature"`
	Error     string `json:"error,omitempty"`
}

func showGrantJSON(stdout io.Writer, b []byte, pubs []crypto.PublicKey) error {
	info, err := localauth.ParseGrant(b, pubs...)
	if info == nil {
		return err
	}
	g := info.Grant
	ts := func(t int64) string {
		if t == 0 {
			return ""
		}
		return time.Unix(t, 0).UTC().Format(time.RFC3339)
	}
	j := grantJSON{
		ID: info.ID, Site: g.Site, Name: g.Name, Role: string(g.Role),
		HolderKey: info.HolderKey, HolderAlg: string(info.HolderAlg),
		Devices: g.Devices, Actions: g.Actions,
		NotBefore: ts(g.NotBefore), NotAfter: ts(g.NotAfter), IssuedAt: ts(g.IssuedAt),
		RequiresTrustedTime: g.RequiresTrustedTime, PIN: g.PIN != nil,
		SignerKey: info.SignerKey, Signature: "not_checked", MaxSpeed: int(g.MaxSpeed),
	}
	if g.DriveWindow != 0 {
		j.DriveWindow = (time.Duration(g.DriveWindow) * time.Second).String()
	}
	if len(g.Schedule) > 0 {
		j.Schedule = localauth.FormatSchedule(g.Schedule)
	}
	switch {
	case info.Delegated:
		j.DelegatedFrom = wire.IDFrom(g.Delegator).String()
	case info.Verified:
		j.Signature = "verified"
	case err != nil:
		j.Signature, j.Error = "invalid", err.Error()
	}
	if perr := printJSON(stdout, j); perr != nil {
		return perr
	}
	return err
}

func finishGrant(stdout io.Writer, out string, b []byte) error {
	if err := writeCredential(out, b); err != nil {
		return err
	}
	info, err := localauth.ParseGrant(b)
	if err != nil && info == nil {
		return err
	}
	fmt.Fprintf(stdout, "grant %s for %q (%s) written to %s (%d bytes)\n", info.ID, info.Grant.Name, info.Grant.Role, out, len(b))
	return nil
}

func cmdRevoke(args []string, stdout io.Writer) error {
	var authority, site, out string
	var serial uint64
	var grants, keys multiFlag
	fs := newFlagSet("revoke")
	fs.StringVar(&authority, "authority", "", "authority directory (authority.key)")
	fs.StringVar(&site, "site", "", "site id")
	fs.Uint64Var(&serial, "serial", 0, "snapshot serial: higher than every earlier one")
	fs.Var(&grants, "grant", "revoked grant id (repeatable)")
	fs.Var(&keys, "key", "revoked holder key id (repeatable)")
	fs.StringVar(&out, "out", "", "output file")
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		// Ids may also follow the flags: revoke ... --grant A B C.
		grants = append(grants, pos...)
	}
	if authority == "" || site == "" || serial == 0 || out == "" {
		return usagef("usage: edgeagent revoke --authority DIR --site ID --serial N --grant ID... [--key ID...] --out FILE")
	}
	signer, err := localauth.LoadAuthority(authority)
	if err != nil {
		return err
	}
	b, err := localauth.IssueRevocation(signer, localauth.RevocationSpec{Site: site, Serial: serial, GrantIDs: grants, KeyIDs: keys})
	if err != nil {
		return err
	}
	if err := writeCredential(out, b); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revocation snapshot %d for %s (%d grants, %d keys) written to %s\n", serial, site, len(grants), len(keys), out)
	return nil
}

func cmdCredentials(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usagef("usage: edgeagent credentials import FILE...")
	}
	var sf socketFlags
	fs := newFlagSet("credentials import")
	sf.register(fs)
	files, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("usage: edgeagent credentials import FILE...")
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	refused := 0
	var results []localauth.ImportResult
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		res, err := c.Import(b)
		var ae *localapi.APIError
		switch {
		case errors.As(err, &ae) && ae.Status == 422:
			refused++
			if !sf.json {
				fmt.Fprintf(stdout, "%s: refused: %s (%s)\n", f, ae.Code, ae.Message)
			}
		case err != nil:
			return fmt.Errorf("%s: %w", f, err)
		default:
			if !sf.json {
				fmt.Fprintf(stdout, "%s: %s %s\n", f, res.Kind, res.Reason)
			}
		}
		results = append(results, res)
	}
	if sf.json {
		if err := printJSON(stdout, results); err != nil {
			return err
		}
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d credentials refused", refused, len(files))
	}
	return nil
}

func cmdAudit(args []string, stdout io.Writer) error {
	const usage = "usage: edgeagent audit verify [--data-dir DIR | --socket PATH | --file STATE.DB [--security-dir DIR]] [--json]"
	if len(args) == 0 || args[0] != "verify" {
		return usagef(usage)
	}
	var sf socketFlags
	var file, secDir string
	fs := newFlagSet("audit verify")
	sf.register(fs)
	fs.StringVar(&file, "file", "", "verify this store file (a copy, or the agent stopped) instead of asking the agent")
	fs.StringVar(&secDir, "security-dir", "", "with --file: the security state directory (default: security beside the file)")
	if pos, err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("audit verify takes no arguments; %s", usage)
	}
	var rep localauth.AuditReport
	var err error
	switch {
	case file != "":
		rep, err = verifyAuditFile(file, secDir)
	case secDir != "":
		return usagef("--security-dir goes with --file; %s", usage)
	default:
		// The running agent holds the store's lock, so it walks the chain.
		var c *localapi.AdminClient
		if c, err = sf.client(); err != nil {
			return err
		}
		rep, err = c.VerifyAudit()
	}
	if err != nil && rep.Break == nil {
		return err
	}
	if sf.json {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		printAuditReport(stdout, rep)
	}
	if rep.Break != nil {
		return fmt.Errorf("audit chain BROKEN at entry %d (seq %d): %s", rep.Break.Index, rep.Break.Seq, rep.Break.Reason)
	}
	return nil
}

// verifyAuditFile checks a store file with no agent: forensics on a copy
// taken from a seized hub. The file is opened read-only (nothing written to
// it) and the security directory is only read.
func verifyAuditFile(file, secDir string) (localauth.AuditReport, error) {
	var rep localauth.AuditReport
	explicit := secDir != ""
	if !explicit {
		secDir = filepath.Join(filepath.Dir(file), "security")
	}
	var dir *secstate.Dir
	switch fi, err := os.Stat(secDir); {
	case err == nil && fi.IsDir():
		if dir, err = secstate.Open(secDir); err != nil {
			return rep, err
		}
	case explicit && err == nil:
		return rep, fmt.Errorf("--security-dir %s is not a directory", secDir)
	case explicit:
		return rep, fmt.Errorf("--security-dir: %w", err)
	}
	st, err := store.OpenReadOnly(file)
	if err != nil {
		return rep, err
	}
	defer st.Close()
	rep, err = localauth.VerifyAudit(st, dir)
	if dir == nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("no security state at %s: the head outside the store was not checked", secDir))
	}
	return rep, err
}

func printAuditReport(w io.Writer, rep localauth.AuditReport) {
	if rep.Break == nil {
		fmt.Fprintf(w, "audit chain intact: %d entries (seq %d..%d), head %s\n", rep.Entries, rep.FirstSeq, rep.LastSeq, rep.Head)
	}
	switch rep.PrunedBasis {
	case "":
	case "local_bound":
		fmt.Fprintf(w, "%d entries pruned by the local bound (no cloud link: no copy of them exists elsewhere)\n", rep.Pruned)
	case "cloud_acknowledged":
		fmt.Fprintf(w, "%d entries pruned after the cloud acknowledged them\n", rep.Pruned)
	case "store_recovered":
		fmt.Fprintf(w, "%d entries lost with a store file that was recovered (moved aside; the cloud has their events)\n", rep.Pruned)
	default:
		fmt.Fprintf(w, "%d entries pruned (%s)\n", rep.Pruned, rep.PrunedBasis)
	}
	if rep.Security != nil {
		fmt.Fprintf(w, "security state head: seq %d (the store is %d entries ahead)\n", rep.Security.Seq, rep.SecurityLag)
	}
	fmt.Fprintf(w, "queued audit events matched: %d\n", rep.Events)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
