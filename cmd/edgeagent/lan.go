package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/liveness"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
)

// lanPart is the residents' LAN API with its port open. A nil *lanPart
// is the agent without one (no lan.listen nor --listen).
type lanPart struct {
	api  *localapi.LAN
	ln   net.Listener
	live *liveness.Registry
}

// newLAN builds the LAN API and opens its port; its certificate's
// fingerprint and address show in the admin status as "lan". cloud is the
// banner's source, nil without a cloud link; homeKit the bridge's status,
// whose setup code an owner's web app shows (nil when HomeKit is off).
func newLAN(p *parts, cloud func() localapi.CloudStatus, homeKit func() homekit.Status) (*lanPart, error) {
	c := p.cfg.LAN
	if c.Listen == "" {
		return nil, nil
	}
	lan, err := localapi.NewLAN(localapi.LANOptions{
		Hub: p.hub, Store: p.store, SecState: p.sec, Keeper: p.keeper, Site: p.cfg.Site,
		Cloud: cloud, HomeKit: homeKit,
		Listen: c.Listen, Hostnames: c.Hostnames,
		SessionTTL: c.SessionTTL.D(), MaxSessions: c.MaxSessions,
		RequestsPerSecond: c.RequestsPerSecond, LoginsPerMinute: c.LoginsPerMinute,
		Log: p.log.With("part", "lan"),
	})
	if err != nil {
		return nil, err
	}
	ln, err := lan.Listen(c.Listen)
	if err != nil {
		return nil, err
	}
	p.log.Info("lan api", "listen", ln.Addr().String(), "fingerprint", lan.Fingerprint().String())
	return &lanPart{api: lan, ln: ln, live: p.live}, nil
}

// services is the LAN server, optional (a failure is logged; the admin
// socket and the devices go on), and its liveness probe, required: a LAN
// API that no longer answers stops the watchdog's pings and systemd
// restarts the agent.
func (l *lanPart) services() []service {
	if l == nil {
		return nil
	}
	loop := l.live.Add("lan api", probeBound, true)
	client, err := localapi.NewKeyClient("https://"+l.ln.Addr().String(), l.api.Fingerprint())
	return []service{
		{name: "lan api", run: func(ctx context.Context) error { return l.api.Serve(ctx, l.ln) }, optional: true},
		{name: "lan api probe", run: func(ctx context.Context) error {
			if err != nil {
				return err
			}
			loop.Probe(ctx, probeEvery, client.Ping)
			return nil
		}},
	}
}

// close closes the port if Serve never ran (a later start step failed).
func (l *lanPart) close() {
	if l != nil {
		l.ln.Close()
	}
}

// info is the admin status's "lan" part; nil without a LAN API.
func (l *lanPart) info() func() localapi.LANInfo {
	if l == nil {
		return nil
	}
	return l.api.Info
}

// cmdDo is `edgeagent do`: what a phone app does with its key, for scripts
// and tests. It exits 1 when the hub refuses, with the reason.
func cmdDo(args []string, stdout io.Writer) error {
	fs := newFlagSet("do")
	agentURL := fs.String("agent", "", "the hub's LAN API, https://HOST:PORT")
	fingerprint := fs.String("fingerprint", "", "SHA-256 fingerprint of the hub's certificate (edgeagent status)")
	grantFile := fs.String("grant", "", "the holder's signed grant FILE")
	ownerFile := fs.String("owner-grant", "", "for a delegated grant: the owner's signed grant FILE")
	keyFile := fs.String("key", "", "the holder's private key FILE (PKCS#8 PEM)")
	jsonOut := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	const use = "usage: edgeagent do --agent https://HOST:PORT --fingerprint SHA256 --grant FILE [--owner-grant FILE] --key FILE DEVICE ACTION [VALUE]"
	if len(pos) < 2 || len(pos) > 3 {
		return usagef("%s", use)
	}
	if *agentURL == "" || *fingerprint == "" || *grantFile == "" || *keyFile == "" {
		return usagef("do needs --agent, --fingerprint, --grant and --key\n%s", use)
	}
	fp, err := localapi.ParseFingerprint(*fingerprint)
	if err != nil {
		return usagef("--fingerprint: %v", err)
	}
	device, action, value := pos[0], pos[1], ""
	if len(pos) == 3 {
		value = pos[2]
	}
	chain, key, err := loadHolder(*grantFile, *ownerFile, *keyFile)
	if err != nil {
		return err
	}
	client, err := localapi.NewKeyClient(*agentURL, fp)
	if err != nil {
		return usagef("--agent: %v", err)
	}
	res, err := client.Act(chain, key, device, action, value)
	var apiErr *localapi.APIError
	if errors.As(err, &apiErr) && res.Decision.Reason != "" {
		return fmt.Errorf("%s %s refused: %s: %s (audit entry %d)", device, action, apiErr.Code, apiErr.Message, res.Decision.AuditSeq)
	}
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(stdout, res)
	}
	d := res.Decision
	fmt.Fprintf(stdout, "%s: %s %s\n", res.State.ID, res.State.State, attrs(res.State))
	fmt.Fprintf(stdout, "granted to %s (%s), audit entry %d\n", d.Name, d.Role, d.AuditSeq)
	return nil
}

// loadHolder reads what a phone presents on the key path: its grant (and,
// for a delegation, the owner's grant it hangs from) and its private key.
func loadHolder(grantFile, ownerFile, keyFile string) ([][]byte, crypto.Signer, error) {
	grant, err := os.ReadFile(grantFile)
	if err != nil {
		return nil, nil, err
	}
	chain := [][]byte{grant}
	if ownerFile != "" {
		owner, err := os.ReadFile(ownerFile)
		if err != nil {
			return nil, nil, err
		}
		chain = append(chain, owner)
	}
	key, err := localauth.LoadPrivateKey(keyFile)
	if err != nil {
		return nil, nil, err
	}
	return chain, key, nil
}
