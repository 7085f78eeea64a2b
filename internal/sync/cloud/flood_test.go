package cloud

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Inbound attacks through a real Mosquitto, against the whole service with
// the real credential keeper.

// liveRig is the service running against a broker with a real keeper on a
// real store, and one grant imported.
type liveRig struct {
	*rig
	b       *mqtttest.Broker
	tp      Topics
	keeper  *localauth.Keeper
	grantID wire.ID
	svc     *Service
	cloud   mqtt.Client
}

func startLive(t *testing.T) *liveRig {
	t.Helper()
	r := newRig(t)
	lr := &liveRig{rig: r, b: mqtttest.Start(t), tp: NewTopics(DefaultTopicPrefix, site)}
	sec, err := secstate.Open(filepath.Join(t.TempDir(), "security"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := localauth.New(localauth.Options{Site: site, Authorities: []crypto.PublicKey{r.auth.Public()}, Store: r.st, SecState: sec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	lr.keeper = k
	holder, err := wire.GenerateKey(wire.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	g, err := localauth.IssueGrant(r.auth, localauth.GrantSpec{Site: site, Holder: holder.Public(), Name: "alice",
		Role: wire.RoleResident, Devices: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Import(g); err != nil {
		t.Fatal(err)
	}
	info, err := localauth.ParseGrant(g, r.auth.Public())
	if err != nil {
		t.Fatal(err)
	}
	lr.grantID = info.ID
	if _, reason, err := k.CheckGrant(lr.grantID); err != nil || reason != "" {
		t.Fatalf("the grant before the revocation: %q %v", reason, err)
	}
	lr.svc, err = New(Options{Site: site, Store: r.st, Devices: r.dev, Keeper: k, Authorities: []crypto.PublicKey{r.auth.Public()},
		Link: mqttlink.Options{Broker: lr.b.URL, ClientID: "hub", PersistentSession: true,
			Backoff: mqttlink.Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- lr.svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not stop within 5 s")
		}
	})
	waitFor(t, "the link", func() bool { return lr.svc.Status().Connected })
	lr.cloud = mqtttest.Connect(t, lr.b.URL, "cloud", false)
	return lr
}

// revocation signs a snapshot at serial revoking the rig's grant.
func (lr *liveRig) revocation(serial uint64) []byte {
	lr.t.Helper()
	b, err := localauth.IssueRevocation(lr.auth, localauth.RevocationSpec{Site: site, Serial: serial,
		GrantIDs: []string{lr.grantID.String()}})
	if err != nil {
		lr.t.Fatal(err)
	}
	return b
}

// revoked waits (at most 30 s) for the keeper to hold serial and refuse
// the grant as revoked.
func (lr *liveRig) revoked(serial uint64) {
	lr.t.Helper()
	mqtttest.WaitFor(lr.t, 30*time.Second, fmt.Sprintf("snapshot serial %d and the grant refused as revoked", serial), func() bool {
		_, reason, err := lr.keeper.CheckGrant(lr.grantID)
		if err != nil {
			lr.t.Fatal(err)
		}
		return lr.keeper.Status().SnapshotSerial == serial && reason == localauth.ReasonRevoked
	})
}

// The attack of issue 9 (item 3): 10 000 garbage messages on cmd and cred
// (junk bytes, truncated documents, and for half of them commands signed
// for another site, which cost a signature check each) with a valid
// revocation snapshot
// (QoS 1, not retained: nothing but the broker's queue holds it) in the
// middle. The hub falls behind and the broker holds the rest; the snapshot
// is applied. (Before: the link acknowledged and dropped what found its
// buffer full, and the revocation was lost for good.)
func TestRevocationInAFloodIsApplied(t *testing.T) {
	const n = 10_000
	lr := startLive(t)
	forged := lr.command(func(c *wire.Command) { c.Site = "elsewhere" })
	grant := lr.command(nil)[:40] // a truncated signed document
	toks := make([]mqtt.Token, 0, n+1)
	for i := range n {
		if i == n/2 {
			toks = append(toks, lr.cloud.Publish(lr.tp.Cred+"/revocations", 1, false, lr.revocation(7)))
		}
		topic, payload := lr.tp.Cmd, forged
		switch i % 4 {
		case 1:
			topic, payload = lr.tp.Cred, []byte(fmt.Sprintf("junk %d", i))
		case 2:
			topic, payload = lr.tp.Cred+"/grant-x", grant
		}
		toks = append(toks, lr.cloud.Publish(topic, 1, false, payload))
	}
	for i, tok := range toks {
		if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
			t.Fatalf("the broker did not take publish %d: %v", i, tok.Error())
		}
	}
	lr.revoked(7)
	if len(lr.dev.Calls()) != 0 {
		t.Fatalf("a garbage command ran: %v", lr.dev.Calls())
	}
	t.Logf("link: %d connection attempts", lr.svc.Status().Attempts)
}

// The attack of issue 9 (item 2) on the service: a 256 MB message on cmd,
// then a retained one on cred. Each is refused from its header with one
// audit event naming the topic (the retained one, refused again at every
// reconnect, is recorded once), the status warns about it, and the hub
// goes on: a revocation published after the cmd one is applied, and once
// the cloud clears the retained message the link stays up.
func TestOversizedMessagesAreRefusedFromTheHeader(t *testing.T) {
	lr := startLive(t)
	tooLarge := func(typ, topic string) []store.Event {
		var out []store.Event
		for _, ev := range lr.events(typ) {
			if ev.Data["reason"] == ReasonTooLarge && ev.Data["topic"] == topic {
				out = append(out, ev)
			}
		}
		return out
	}
	warned := func(topic string) bool {
		for _, w := range lr.svc.Status().Warnings {
			if strings.Contains(w, "a message on "+topic+" of 268435455 bytes") {
				return true
			}
		}
		return false
	}

	mqtttest.PublishHuge(t, lr.b.Addr, "big-cmd", lr.tp.Cmd, false, mqtttest.MaxPayload(lr.tp.Cmd))
	waitFor(t, "the refusal of the oversized command", func() bool { return len(tooLarge(EventCommandRefused, lr.tp.Cmd)) == 1 })
	if !warned(lr.tp.Cmd) {
		t.Fatalf("status warnings %q", lr.svc.Status().Warnings)
	}
	// The refusal is recorded before the connection is dropped: wait for
	// the next one (a clean session; what was published in between is
	// gone, retained documents come back).
	waitFor(t, "the link to come back", func() bool { st := lr.svc.Status(); return st.Connected && st.Attempts >= 2 })
	mqtttest.Publish(t, lr.cloud, lr.tp.Cred, false, lr.revocation(3))
	lr.revoked(3)

	mqtttest.PublishHuge(t, lr.b.Addr, "big-cred", lr.tp.Cred+"/big", true, mqtttest.MaxPayload(lr.tp.Cred+"/big"))
	waitFor(t, "three refusals of the retained message", func() bool {
		tl := lr.svc.Status().TooLarge
		return tl != nil && tl.Topic == lr.tp.Cred+"/big" && tl.Count >= 4
	})
	if evs := tooLarge(EventCredRefused, lr.tp.Cred+"/big"); len(evs) != 1 {
		t.Fatalf("%d audit events for one retained message refused at every reconnect, want 1", len(evs))
	}
	if !warned(lr.tp.Cred + "/big") {
		t.Fatalf("status warnings %q", lr.svc.Status().Warnings)
	}
	t.Logf("warning: %s", lr.svc.Status().Warnings[0])

	mqtttest.Publish(t, lr.cloud, lr.tp.Cred+"/big", true, nil)
	mqtttest.Publish(t, lr.cloud, lr.tp.Cred, true, lr.revocation(4))
	lr.revoked(4)
}

// flakyKeeper fails its first imports as a full disk would.
type flakyKeeper struct {
	fakeKeeper
	failures int
}

func (k *flakyKeeper) Import(b []byte) (localauth.ImportResult, error) {
	k.mu.Lock()
	if k.failures > 0 {
		k.failures--
		k.imports = append(k.imports, b)
		k.mu.Unlock()
		return localauth.ImportResult{}, errors.New("store: no space left on device")
	}
	k.mu.Unlock()
	return k.fakeKeeper.Import(b)
}

func (k *flakyKeeper) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.imports)
}

// A revocation the keeper could not store (a full disk) is not
// acknowledged: the link hands it back to the broker, which sends it again
// on the next connection, and it is imported then. (Before: it was
// acknowledged whatever the outcome, and lost.)
func TestCredentialNotStoredIsSentAgain(t *testing.T) {
	r := newRig(t)
	b := mqtttest.Start(t)
	tp := NewTopics(DefaultTopicPrefix, site)
	k := &flakyKeeper{fakeKeeper: fakeKeeper{floor: t0}, failures: 1}
	svc, err := New(Options{Site: site, Store: r.st, Devices: r.dev, Keeper: k, Authorities: []crypto.PublicKey{r.auth.Public()},
		Link: mqttlink.Options{Broker: b.URL, ClientID: "hub", PersistentSession: true,
			Backoff: mqttlink.Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the link", func() bool { return svc.Status().Connected })
	snap, err := wire.SignRevocation(r.auth, &wire.RevocationSnapshot{Site: site, IssuedAt: t0.Unix(), Serial: 9})
	if err != nil {
		t.Fatal(err)
	}
	mqtttest.Publish(t, mqtttest.Connect(t, b.URL, "cloud", false), tp.Cred, false, snap)
	waitFor(t, "the snapshot to be imported again", func() bool { return k.count() == 2 })
	k.mu.Lock()
	defer k.mu.Unlock()
	if !bytes.Equal(k.imports[0], snap) || !bytes.Equal(k.imports[1], snap) {
		t.Fatalf("imports %x", k.imports)
	}
	if st := svc.Status(); st.Attempts < 2 || !strings.Contains(st.LastError, "no space left on device") {
		t.Fatalf("status %+v", st.Status)
	}
	t.Log(svc.Status().LastError)
}

// The link's report of a connection dropped for an oversized message is an
// audit refusal of the topic's kind.
func TestTooLargeIsAuditedByTopic(t *testing.T) {
	r := newRig(t)
	tp := r.s.topics
	for _, topic := range []string{tp.Cmd, tp.Cfg, tp.Cred + "/big", ""} {
		r.s.tooLarge(mqttlink.TooLarge{Topic: topic, Size: 1 << 28, Limit: mqttlink.PacketLimit(mqttlink.DefaultMaxPayload), Count: 2})
	}
	want := map[string]string{tp.Cmd: EventCommandRefused, tp.Cfg: EventSettingsRefused, tp.Cred + "/big": EventCredRefused, "": EventCredRefused}
	evs := r.events(EventCommandRefused, EventSettingsRefused, EventCredRefused)
	if len(evs) != 4 {
		t.Fatalf("events %+v", evs)
	}
	for _, ev := range evs {
		topic, _ := ev.Data["topic"].(string)
		if ev.Type != want[topic] || ev.Data["reason"] != ReasonTooLarge || ev.Data["size"] != uint64(1<<28) || ev.Data["dropped_connections"] != uint64(2) {
			t.Fatalf("event %s %+v for topic %q", ev.Type, ev.Data, topic)
		}
	}
}
