package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
)

// lanService builds the residents' LAN API and web app when lan.listen (or
// --listen) names an address. Its certificate's fingerprint and address
// show in the admin status as "lan".
func (a *agent) lanService() (service, error) {
	c := a.cfg.LAN
	if c.Listen == "" {
		return nil, nil
	}
	lan, err := localapi.NewLAN(localapi.LANOptions{
		Hub: a.hub, Store: a.store, SecState: a.sec, Keeper: a.keeper, Site: a.cfg.Site,
		// nil without a cloud link: "no cloud link configured", no banner.
		Cloud:  a.cloud,
		Listen: c.Listen, Hostnames: c.Hostnames,
		SessionTTL: c.SessionTTL.D(), MaxSessions: c.MaxSessions,
		RequestsPerSecond: c.RequestsPerSecond, LoginsPerMinute: c.LoginsPerMinute,
		Log: a.log.With("part", "lan"),
	})
	if err != nil {
		return nil, err
	}
	ln, err := lan.Listen(c.Listen)
	if err != nil {
		return nil, err
	}
	a.admin.LAN = lan.Info
	a.log.Info("lan api", "listen", ln.Addr().String(), "fingerprint", lan.Fingerprint().String())
	return func(ctx context.Context) error { return lan.Serve(ctx, ln) }, nil
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
	grant, err := os.ReadFile(*grantFile)
	if err != nil {
		return err
	}
	chain := [][]byte{grant}
	if *ownerFile != "" {
		owner, err := os.ReadFile(*ownerFile)
		if err != nil {
			return err
		}
		chain = append(chain, owner)
	}
	key, err := localauth.LoadPrivateKey(*keyFile)
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
