package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localapi"
)

// socketFlags are shared by every command that talks to a running agent.
type socketFlags struct {
	dataDir, socket, config string
	json                    bool
}

func (s *socketFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.dataDir, "data-dir", "", "agent data directory (socket DIR/admin.sock)")
	fs.StringVar(&s.socket, "socket", "", "admin socket path")
	fs.StringVar(&s.config, "config", "", "agent config file (for its socket path)")
	fs.BoolVar(&s.json, "json", false, "print JSON")
}

func (s *socketFlags) client() (*localapi.AdminClient, error) {
	switch {
	case s.socket != "":
		return localapi.NewAdminClient(s.socket), nil
	case s.dataDir != "":
		return localapi.NewAdminClient(filepath.Join(s.dataDir, "admin.sock")), nil
	case s.config != "":
		cfg, err := config.Load(s.config)
		if err != nil {
			return nil, configError{err}
		}
		return localapi.NewAdminClient(cfg.SocketPath()), nil
	}
	return localapi.NewAdminClient(filepath.Join(config.DefaultDataDir, "admin.sock")), nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdStatus(args []string, stdout io.Writer) error {
	var sf socketFlags
	fs := newFlagSet("status")
	sf.register(fs)
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("status takes no arguments")
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	st, err := c.Status()
	if err != nil {
		return err
	}
	if sf.json {
		return printJSON(stdout, st)
	}
	return printStatus(stdout, st)
}

// printStatus is status for people: every part in words, never a Go
// placeholder for a time that never happened or a part that is not running.
func printStatus(w io.Writer, st localapi.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "site\t%s\n", st.Site)
	fmt.Fprintf(tw, "version\t%s\n", st.Version)
	mode := "hardware"
	if st.Sim {
		mode = "simulated"
	}
	fmt.Fprintf(tw, "devices\t%d (%s)\n", st.Devices, mode)
	fmt.Fprintf(tw, "uptime\t%s (since %s)\n", (time.Duration(st.UptimeS) * time.Second).String(), st.Started.Format(time.RFC3339))
	health := "ok"
	if st.Store.Recovered {
		health = fmt.Sprintf("RECOVERED: %s (bad file kept at %s)", st.Store.Reason, st.Store.MovedTo)
	}
	if st.Store.LastError != "" {
		health += "; last error: " + st.Store.LastError
	}
	fmt.Fprintf(tw, "store\t%s\n", health)
	fmt.Fprintf(tw, "store file\t%s (%d bytes, boot %d)\n", st.Store.Path, st.Store.SizeBytes, st.Store.Boot)
	hist := st.Store.History
	if st.Store.FirstSeq == 0 {
		fmt.Fprintf(tw, "event log\tempty, last seq %d\n", st.Store.LastSeq)
	} else {
		fmt.Fprintf(tw, "event log\tseq %d..%d held: %d events, %d of %d bytes, since %s\n", st.Store.FirstSeq, st.Store.LastSeq,
			hist.Events, hist.Bytes, hist.MaxBytes, hist.Oldest.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(tw, "history kept\t%s, audit %s\n", hist.MaxAge, hist.AuditAge)
	if c := st.Cloud; c != nil {
		link := "DOWN"
		if c.Connected {
			link = "connected"
		}
		fmt.Fprintf(tw, "cloud\t%s to %s since %s; %d events pending (oldest %s), last sync %s\n",
			link, c.Broker, timeOr(c.Since, "start"), c.PendingTotal, timeOr(c.OldestPending, "none"), timeOr(c.LastSync, "never"))
		if c.LastError != "" {
			fmt.Fprintf(tw, "cloud error\t%s\n", c.LastError)
		}
		for _, w := range c.Warnings {
			fmt.Fprintf(tw, "cloud warning\t%s\n", w)
		}
	}
	if lan := st.LAN; lan != nil {
		fmt.Fprintf(tw, "lan\thttps://%s (certificate SHA-256 %s)\n", lan.Listen, lan.Fingerprint)
	}
	switch b := st.BLE; {
	case b == nil:
	case b.On:
		fmt.Fprintf(tw, "ble\tadvertising as %s on %s: %d connected (at most %d), %d decisions (%d granted), %d connections refused, %d dropped\n",
			b.Name, b.Adapter, b.Connections, b.MaxConnections, b.Decisions, b.Granted, b.Refused, b.Dropped)
	default:
		fmt.Fprintf(tw, "ble\toff: %s\n", b.Reason)
	}
	if h := st.HomeKit; h != nil {
		fmt.Fprintf(tw, "homekit\t%s on %s: %d accessories, %d pairings\n", h.Name, orDefault(h.Listen, "(not listening yet)"), h.Accessories, h.Pairings)
		if h.Paired {
			fmt.Fprintf(tw, "homekit setup\tpaired: new controllers are added from a paired one's Home app\n")
		} else {
			fmt.Fprintf(tw, "homekit setup\tcode %s, QR payload %s\n", h.SetupCode, h.SetupURI)
		}
	}
	for _, l := range st.Stalled {
		fmt.Fprintf(tw, "loop stalled\t%s\n", l)
	}
	if st.JournalError != "" {
		fmt.Fprintf(tw, "journal\tFAILING: %s\n", st.JournalError)
	}
	switch a := st.Auth.Audit; {
	case a.Truncated != "":
		fmt.Fprintf(tw, "audit\tTRUNCATED: %s\n", a.Truncated)
	case a.Error != "":
		fmt.Fprintf(tw, "audit\thead seq %d; %s\n", a.Head, a.Error)
	default:
		fmt.Fprintf(tw, "audit\thead seq %d\n", a.Head)
	}
	au := st.Auth
	fmt.Fprintf(tw, "hub id\t%s\n", au.HubID)
	fmt.Fprintf(tw, "credentials\t%d/%d grants, %d revoked grants, %d revoked keys, snapshot serial %d, %d authorities pinned\n",
		au.Grants, au.MaxGrants, au.RevokedGrants, au.RevokedKeys, au.SnapshotSerial, len(au.Authorities))
	if !au.RevocationsLost.IsZero() {
		fmt.Fprintf(tw, "revocations\tLOST since %s\n", au.RevocationsLost.UTC().Format(time.RFC3339))
	}
	for _, w := range au.Warnings {
		fmt.Fprintf(tw, "WARNING\t%s\n", w)
	}
	fmt.Fprintf(tw, "time\t%s\n", au.Time.Why)
	fmt.Fprintf(tw, "clocks\ttrusted floor %s, system clock %s\n", au.Time.Floor.UTC().Format(time.RFC3339), au.Time.Wall.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "security state\t%s\n", au.SecState)
	return tw.Flush()
}

func cmdDeviceList(args []string, stdout io.Writer) error {
	var sf socketFlags
	fs := newFlagSet("device list")
	sf.register(fs)
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("device list takes no arguments")
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	list, err := c.Devices()
	if err != nil {
		return err
	}
	if sf.json {
		return printJSON(stdout, list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATE\tDETAILS")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.ID, d.Kind, d.State, attrs(d))
	}
	return tw.Flush()
}

func cmdDeviceSet(args []string, stdout io.Writer) error {
	var sf socketFlags
	fs := newFlagSet("device set")
	sf.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 || len(pos) > 3 {
		return usagef("usage: edgeagent device set ID ACTION [VALUE]")
	}
	value := ""
	if len(pos) == 3 {
		value = pos[2]
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	d, err := c.Do(pos[0], pos[1], value)
	if err != nil {
		return err
	}
	if sf.json {
		return printJSON(stdout, d)
	}
	fmt.Fprintf(stdout, "%s: %s %s\n", d.ID, d.State, attrs(d))
	return nil
}

func cmdEvents(args []string, stdout io.Writer) error {
	var sf socketFlags
	var after uint64
	var limit int
	fs := newFlagSet("events")
	sf.register(fs)
	fs.Uint64Var(&after, "after", 0, "only events after this sequence number (default: the newest --limit events)")
	fs.IntVar(&limit, "limit", 100, "at most this many")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("events takes no arguments")
	}
	if limit <= 0 {
		return usagef("--limit %d: want at least 1", limit)
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	if !flagSet(fs, "after") {
		// The log is a month of history: what a person asks for first is
		// the end of it (seqs are never reused, so this is at most limit).
		st, err := c.Status()
		if err != nil {
			return err
		}
		after = st.Store.LastSeq - min(st.Store.LastSeq, uint64(limit))
	}
	evs, err := c.Events(after, limit)
	if err != nil {
		return err
	}
	if sf.json {
		return printJSON(stdout, evs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tCLASS\tDEVICE\tTYPE\tDATA")
	for _, e := range evs {
		data, _ := json.Marshal(e.Data)
		if e.Data == nil {
			data = nil
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Format(time.RFC3339), e.Class, e.Device, e.Type, data)
	}
	return tw.Flush()
}

// field renders a key of a decoded JSON object, or none when the key is
// absent or null: the cloud status leaves out times that never happened, and
// timeOr is t in RFC 3339 (UTC), or none when t is zero: a time that never
// happened must not print as Go's zero time.
func timeOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

// attrs renders a device's attributes as sorted key=value pairs.
func attrs(d devices.State) string {
	keys := make([]string, 0, len(d.Attrs))
	for k := range d.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, d.Attrs[k]))
	}
	return strings.Join(parts, " ")
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
