package localapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

func TestLANHealthzAndHeaders(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	b := e.browser()
	for _, path := range []string{"/healthz", "/", "/app.js", "/api/v1/devices", "/nosuch"} {
		r := b.do("GET", path, nil)
		h := r.header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
	want(t, "healthz", b.do("GET", "/healthz", nil), 200, "")
}

func TestLANRoutesErrors(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	b := e.browser()
	want(t, "unknown route", b.do("GET", "/api/v1/nosuch", nil), 404, "not_found")
	want(t, "unknown file", b.do("GET", "/secret.txt", nil), 404, "not_found")
	r := b.do("GET", "/api/v1/login", nil)
	want(t, "GET login", r, 405, "method_not_allowed")
	if r.header.Get("Allow") != "POST" {
		t.Errorf("405 Allow = %q, want POST", r.header.Get("Allow"))
	}
	want(t, "DELETE devices", b.do("DELETE", "/api/v1/devices", nil), 405, "method_not_allowed")
	want(t, "login: not JSON", b.do("POST", "/api/v1/login", "{"), 400, "bad_request")
	want(t, "login: empty body", b.do("POST", "/api/v1/login", ""), 400, "bad_request")
	want(t, "login: unknown field", b.do("POST", "/api/v1/login", `{"user":"a","pin":"1234","admin":true}`), 400, "bad_request")
	want(t, "login: trailing data", b.do("POST", "/api/v1/login", `{"user":"a","pin":"1234"} {}`), 400, "bad_request")
	want(t, "login: no PIN", b.do("POST", "/api/v1/login", LoginRequest{User: "a"}), 400, "bad_request")
	want(t, "login: huge", b.do("POST", "/api/v1/login", LoginRequest{User: "a", PIN: strings.Repeat("1", 5000)}), 413, "body_too_large")
	want(t, "action: huge", b.do("POST", "/api/v1/devices/door/action", LANActionRequest{Action: "unlock", Proof: make([]byte, maxActionBody)}), 413, "body_too_large")
	want(t, "challenge: not JSON", b.do("POST", "/api/v1/challenge", "x"), 400, "bad_request")
}

func TestLANLoginSessionLogout(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	b := e.browser()
	want(t, "devices before login", b.do("GET", "/api/v1/devices", nil), 401, "unauthenticated")

	r := b.do("POST", "/api/v1/login", LoginRequest{User: "alice", PIN: "1234"})
	want(t, "login", r, 200, "")
	cookies := (&http.Response{Header: r.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1", len(cookies))
	}
	c := cookies[0]
	if c.Name != "__Host-edgeagent" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("session cookie %+v: want __Host-, HttpOnly, Secure, SameSite=Strict, Path=/, no Domain", c)
	}
	if c.MaxAge != 12*3600 || !c.Expires.IsZero() {
		t.Errorf("cookie Max-Age %d, Expires %v; want 12 h (the default) as Max-Age only", c.MaxAge, c.Expires)
	}
	var info SessionInfo
	json.Unmarshal(r.body, &info)
	if info.User != "alice" || info.Role != wire.RoleResident || info.CSRF == "" || !slices.Equal(info.Devices, []string{"*"}) {
		t.Errorf("login answer %+v", info)
	}
	b.csrf = info.CSRF

	// The store holds the token's SHA-256, never the token.
	var keys, vals [][]byte
	e.st.View(func(tx *store.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
			return nil
		})
	})
	sum := sha256.Sum256([]byte(c.Value))
	if len(keys) != 1 || !bytes.Equal(keys[0], sum[:]) || bytes.Contains(vals[0], []byte(c.Value)) {
		t.Errorf("stored session: keys %x, want only SHA-256 of the token %x", keys, sum)
	}

	r = b.do("GET", "/api/v1/session", nil)
	want(t, "session", r, 200, "")
	if !strings.Contains(string(r.body), info.CSRF) {
		t.Errorf("GET session does not give the CSRF token back: %s", r.body)
	}
	want(t, "logout without CSRF", b.do("POST", "/api/v1/logout", nil, csrfHeader, ""), 403, "csrf_missing")
	want(t, "logout", b.do("POST", "/api/v1/logout", nil), 200, "")

	// A copy of the cookie used after logout: as if stolen before.
	old := e.browser()
	old.c.Jar.SetCookies(mustURL(e.url), []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
	old.csrf = info.CSRF
	want(t, "devices after logout", old.do("GET", "/api/v1/devices", nil), 401, "unauthenticated")
	want(t, "action after logout", old.act("light", "on", ""), 401, "unauthenticated")
	want(t, "logout twice", old.do("POST", "/api/v1/logout", nil), 401, "unauthenticated")
	if s := e.state("light"); s != "off" {
		t.Errorf("light %s after an action with a dead session", s)
	}
	if n := e.lan.Info().Sessions; n != 0 {
		t.Errorf("%d sessions after logout", n)
	}
}

func TestLANSessionExpires(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{lan: func(o *LANOptions) { o.SessionTTL = time.Hour }})
	e.residentAndGuest()
	b := e.browser()
	b.login("alice", "1234")
	e.clk.Advance(59 * time.Minute)
	want(t, "before expiry", b.do("GET", "/api/v1/devices", nil), 200, "")
	e.clk.Advance(time.Minute)
	want(t, "at expiry", b.act("light", "on", ""), 401, "session_expired")
	want(t, "after expiry", b.do("GET", "/api/v1/devices", nil), 401, "unauthenticated")

	// A guest's session ends with its grant (24 h), before a long TTL.
	e2 := newLANEnv(t, lanEnvOptions{lan: func(o *LANOptions) { o.SessionTTL = 30 * 24 * time.Hour }})
	e2.residentAndGuest()
	if info := e2.browser().login("gus", "5678"); !info.Expires.Equal(lanStart.Add(24 * time.Hour)) {
		t.Errorf("guest session expires %v, want the grant's end %v", info.Expires, lanStart.Add(24*time.Hour))
	}
}

func TestLANSessionsSurviveRestart(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	b := e.browser()
	b.login("alice", "1234")
	s2, err := newSessions(e.st, e.clk, time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	if s2.count() != 1 {
		t.Errorf("%d sessions loaded after a restart, want 1", s2.count())
	}
	e.clk.Advance(13 * time.Hour)
	if s3, _ := newSessions(e.st, e.clk, time.Hour, 10); s3.count() != 0 {
		t.Errorf("%d expired sessions loaded, want 0", s3.count())
	}
}

func TestLANMaxSessionsEndsOldest(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{lan: func(o *LANOptions) { o.MaxSessions = 2 }})
	e.residentAndGuest()
	first := e.browser()
	first.login("alice", "1234")
	e.clk.Advance(time.Second)
	second := e.browser()
	second.login("alice", "1234")
	e.clk.Advance(time.Second)
	e.browser().login("gus", "5678")
	want(t, "oldest session", first.do("GET", "/api/v1/devices", nil), 401, "unauthenticated")
	want(t, "second session", second.do("GET", "/api/v1/devices", nil), 200, "")
	if n := e.lan.Info().Sessions; n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
}

func TestLANLoginRefusals(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	e.grant(localauth.GrantSpec{Name: "old", Role: wire.RoleGuest, Devices: []string{"light"}, PIN: "1111", NotAfter: lanStart.Add(time.Hour)})
	g, _ := e.grant(localauth.GrantSpec{Name: "gone", Role: wire.RoleResident, Devices: []string{"*"}, PIN: "2222"})
	revoke(t, e, 1, g)
	e.grant(localauth.GrantSpec{Name: "later", Role: wire.RoleGuest, Devices: []string{"light"}, PIN: "3333",
		NotBefore: lanStart.Add(48 * time.Hour), NotAfter: lanStart.Add(72 * time.Hour)})
	e.clk.Advance(2 * time.Hour) // "old" has expired
	b := e.browser()

	want(t, "unknown user", b.do("POST", "/api/v1/login", LoginRequest{User: "mallory", PIN: "1234"}), 401, "wrong_pin")
	want(t, "expired", b.do("POST", "/api/v1/login", LoginRequest{User: "old", PIN: "1111"}), 403, "expired")
	want(t, "not yet valid", b.do("POST", "/api/v1/login", LoginRequest{User: "later", PIN: "3333"}), 403, "not_yet_valid")
	// A revoked grant is deleted on import: its user is unknown now.
	want(t, "revoked", b.do("POST", "/api/v1/login", LoginRequest{User: "gone", PIN: "2222"}), 401, "wrong_pin")
	want(t, "wrong PIN 1", b.do("POST", "/api/v1/login", LoginRequest{User: "alice", PIN: "0000"}), 401, "wrong_pin")
	want(t, "wrong PIN 2", b.do("POST", "/api/v1/login", LoginRequest{User: "alice", PIN: "0001"}), 401, "wrong_pin")
	r := b.do("POST", "/api/v1/login", LoginRequest{User: "alice", PIN: "0002"})
	want(t, "wrong PIN 3: locked", r, 429, "locked_out")
	if r.json["locked_until"] == nil || r.header.Get("Retry-After") != "61" {
		t.Errorf("lockout answer without when: Retry-After %q, %s", r.header.Get("Retry-After"), r.body)
	}
	want(t, "right PIN while locked", b.do("POST", "/api/v1/login", LoginRequest{User: "alice", PIN: "1234"}), 429, "locked_out")
	e.clk.Advance(61 * time.Second)
	b.login("alice", "1234")
}

// revoke imports a revocation snapshot of the given grants.
func revoke(t *testing.T, e *lanEnv, serial uint64, grants ...[]byte) {
	t.Helper()
	var ids []string
	for _, g := range grants {
		info, err := localauth.ParseGrant(g)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID.String())
	}
	snap, err := localauth.IssueRevocation(e.authority, localauth.RevocationSpec{Site: lanSite, Serial: serial, GrantIDs: ids, IssuedAt: e.clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.keeper.Import(snap); err != nil {
		t.Fatal(err)
	}
}

func TestLANCSRF(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	b := e.browser()
	b.login("alice", "1234")
	want(t, "no token", b.do("POST", "/api/v1/devices/light/action", LANActionRequest{Action: "on"}, csrfHeader, ""), 403, "csrf_missing")
	// One character off (flipped, not replaced: a token that begins with
	// the replacement would be the right one, 1 run in 64).
	wrong := []byte(b.csrf)
	wrong[0] ^= 1
	want(t, "wrong token", b.do("POST", "/api/v1/devices/light/action", LANActionRequest{Action: "on"}, csrfHeader, string(wrong)), 403, "csrf_invalid")
	other := e.browser()
	other.login("alice", "1234")
	want(t, "another session's token", b.do("POST", "/api/v1/devices/light/action", LANActionRequest{Action: "on"}, csrfHeader, other.csrf), 403, "csrf_invalid")
	if s := e.state("light"); s != "off" {
		t.Errorf("light %s after refused changes", s)
	}
	want(t, "right token", b.act("light", "on", ""), 200, "")
}

func TestLANSessionActions(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	b := e.browser()
	b.login("alice", "1234")

	r := b.act("door", "unlock", "")
	want(t, "unlock", r, 200, "")
	var res LANActionResult
	json.Unmarshal(r.body, &res)
	if res.State.State != "unlocked" || !res.Decision.Granted || res.Decision.Name != "alice" || res.Decision.AuditSeq == 0 {
		t.Errorf("unlock answer %+v", res)
	}
	e.clk.Advance(5 * time.Second)
	if s := e.state("door"); s != "locked" {
		t.Errorf("door %s after relock_after", s)
	}
	entries, err := e.keeper.AuditEntries(res.Decision.AuditSeq-1, 1)
	if err != nil || len(entries) != 1 || entries[0].Detail != localauth.DetailPINSession || entries[0].Subject != "alice" || !entries[0].OK {
		t.Errorf("audit entry of the unlock: %+v %v", entries, err)
	}

	want(t, "setpoint", b.act("boiler", "set-setpoint", "21.5"), 200, "")
	want(t, "bad setpoint", b.act("boiler", "set-setpoint", "hot"), 400, "bad_value")
	want(t, "cover", b.act("curtain", "open", ""), 200, "")
	want(t, "unknown device", b.act("garage", "open", ""), 404, "unknown_device")
	want(t, "simulated input", b.act("door", "press", ""), 400, "unknown_action")
	want(t, "input", b.act("bell", "press", ""), 400, "unknown_action")
	want(t, "no action", b.act("light", "", ""), 400, "unknown_action")

	var list []LANDevice
	json.Unmarshal(b.do("GET", "/api/v1/devices", nil).body, &list)
	if len(list) != 5 || list[0].ID != "door" || !slices.Equal(list[0].Actions, []string{"lock", "unlock"}) || len(list[4].Actions) != 0 {
		t.Errorf("resident's devices: %+v", list)
	}
}

func TestLANGuestScope(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	// A guest grant with a schedule that is not now: two days from now.
	notToday := strings.ToLower(lanStart.Add(48 * time.Hour).Weekday().String()[:3])
	e.grant(localauth.GrantSpec{Name: "cleaner", Role: wire.RoleGuest, Devices: []string{"light"}, PIN: "3333",
		NotAfter: lanStart.Add(72 * time.Hour), Schedule: notToday + " 00:00-24:00"})
	res := e.browser()
	res.login("alice", "1234")
	want(t, "resident unlocks", res.act("door", "unlock", ""), 200, "")
	e.clk.Advance(5 * time.Second)

	g := e.browser()
	info := g.login("gus", "5678")
	if info.Role != wire.RoleGuest || !slices.Equal(info.Devices, []string{"light"}) {
		t.Errorf("guest session %+v", info)
	}
	var list []LANDevice
	json.Unmarshal(g.do("GET", "/api/v1/devices", nil).body, &list)
	if len(list) != 1 || list[0].ID != "light" || !slices.Equal(list[0].Actions, []string{"on", "off"}) {
		t.Errorf("guest sees %+v, want the light with on, off", list)
	}
	want(t, "guest unlocks the door", g.act("door", "unlock", ""), 403, "device_not_allowed")
	want(t, "guest toggles", g.act("light", "toggle", ""), 403, "action_not_allowed")
	want(t, "guest on an unknown device", g.act("garage", "open", ""), 404, "unknown_device")
	if s := e.state("door"); s != "locked" {
		t.Errorf("door %s after a guest's refused unlock", s)
	}
	want(t, "guest switches the light", g.act("light", "on", ""), 200, "")

	var evs []LANEvent
	json.Unmarshal(g.do("GET", "/api/v1/events?limit=100", nil).body, &evs)
	if len(evs) == 0 {
		t.Fatal("guest sees no events")
	}
	for _, ev := range evs {
		if ev.Device != "light" || ev.Data != nil {
			t.Errorf("guest sees event %+v (only the light's, without data)", ev)
		}
	}
	json.Unmarshal(res.do("GET", "/api/v1/events?limit=100", nil).body, &evs)
	types := map[string]bool{}
	for _, ev := range evs {
		types[ev.Device+"/"+ev.Type] = true
	}
	for _, w := range []string{"door/unlocked", "door/locked", "light/switched_on", "door/auth_decision", "/auth_pin"} {
		if !types[w] {
			t.Errorf("resident does not see %s in %v", w, types)
		}
	}
	if evs[0].Seq < evs[len(evs)-1].Seq {
		t.Error("events are not newest first")
	}
	want(t, "events limit 0", res.do("GET", "/api/v1/events?limit=0", nil), 400, "bad_request")
	want(t, "events limit x", res.do("GET", "/api/v1/events?limit=x", nil), 400, "bad_request")

	c := e.browser()
	c.login("cleaner", "3333")
	want(t, "outside schedule", c.act("light", "off", ""), 403, "outside_schedule")
}

func TestLANRevokedOrExpiredSessionEnds(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	g, _ := e.grant(localauth.GrantSpec{Name: "bob", Role: wire.RoleResident, Devices: []string{"*"}, PIN: "1234"})
	e.grant(localauth.GrantSpec{Name: "tess", Role: wire.RoleGuest, Devices: []string{"*"}, PIN: "1234", NotAfter: lanStart.Add(time.Hour)})
	b := e.browser()
	b.login("bob", "1234")
	tess := e.browser()
	tess.login("tess", "1234")
	want(t, "before revocation", b.act("light", "on", ""), 200, "")
	revoke(t, e, 1, g)
	r := b.act("light", "off", "")
	want(t, "after revocation", r, 403, "revoked")
	var rf refusal
	json.Unmarshal(r.body, &rf)
	if rf.Decision.AuditSeq == 0 {
		t.Errorf("refusal not audited: %s", r.body)
	}
	want(t, "session of a revoked grant", b.do("GET", "/api/v1/devices", nil), 401, "unauthenticated")
	if s := e.state("light"); s != "on" {
		t.Errorf("light %s: a revoked session switched it", s)
	}

	// The guest's session was capped at the grant's end; at the trusted
	// time of its end the grant is expired whatever the cookie says.
	e.clk.Advance(time.Hour)
	want(t, "expired guest", tess.act("light", "off", ""), 401, "session_expired")
}

func TestLANKeyPath(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	grant, key := e.issue(localauth.GrantSpec{Name: "carol", Role: wire.RoleResident, Devices: []string{"door", "light"}})
	kc := e.keyClient()
	res, err := kc.Act([][]byte{grant}, key, "door", "unlock", "")
	if err != nil || res.State.State != "unlocked" || !res.Decision.Granted || res.Decision.Name != "carol" {
		t.Fatalf("unlock with a phone key: %+v %v", res, err)
	}

	b := e.browser()
	// A replayed proof: the same answer to the same challenge, again.
	ch, err := kc.Challenge("light", "on")
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "light", Action: "on"})
	req := LANActionRequest{Action: "on", Chain: [][]byte{grant}, Proof: proof}
	want(t, "first answer", b.do("POST", "/api/v1/devices/light/action", req), 200, "")
	e.hub.Do("light", "off", "")
	r := b.do("POST", "/api/v1/devices/light/action", req)
	want(t, "replayed proof", r, 403, "nonce_replayed")
	if e.state("light") != "off" {
		t.Error("a replayed proof switched the light")
	}
	var rf refusal
	json.Unmarshal(r.body, &rf)
	if rf.Decision.Reason != localauth.ReasonNonceReplayed || rf.Decision.AuditSeq == 0 {
		t.Errorf("replay refusal %s", r.body)
	}

	// A proof for the light sent to the door.
	ch, _ = kc.Challenge("light", "on")
	proof, _ = wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "light", Action: "on"})
	want(t, "proof for another device", b.do("POST", "/api/v1/devices/door/action", LANActionRequest{Action: "unlock", Chain: [][]byte{grant}, Proof: proof}), 403, "challenge_mismatch")

	other, _ := wire.GenerateKey(wire.Ed25519)
	if _, err := kc.Act([][]byte{grant}, other, "light", "on", ""); apiCode(err) != "bad_proof" {
		t.Errorf("another key's proof: %v, want bad_proof", err)
	}
	if _, err := kc.Act([][]byte{grant}, key, "boiler", "on", ""); apiCode(err) != "device_not_allowed" {
		t.Errorf("device outside the grant: %v, want device_not_allowed", err)
	}
	if _, err := kc.Act([][]byte{[]byte("junk")}, key, "light", "on", ""); apiCode(err) != "malformed_grant" {
		t.Errorf("junk grant: %v, want malformed_grant", err)
	}
	want(t, "junk proof", b.do("POST", "/api/v1/devices/light/action", LANActionRequest{Action: "on", Chain: [][]byte{grant}, Proof: []byte("junk")}), 403, "malformed_proof")
	stranger, _ := wire.GenerateKey(wire.Ed25519)
	g2, _ := localauth.IssueGrant(stranger, localauth.GrantSpec{Site: lanSite, Holder: key.Public(), Name: "carol", Role: wire.RoleOwner, Devices: []string{"*"}})
	if _, err := kc.Act([][]byte{g2}, key, "light", "on", ""); apiCode(err) != "unknown_authority" {
		t.Errorf("grant of an unpinned authority: %v", err)
	}
	// A nonce the hub never issued.
	fake := &wire.Proof{Nonce: make([]byte, wire.NonceSize), Hub: ch.Hub, Device: "light", Action: "on"}
	proof, _ = wire.SignProof(key, fake)
	want(t, "unknown nonce", b.do("POST", "/api/v1/devices/light/action", LANActionRequest{Action: "on", Chain: [][]byte{grant}, Proof: proof}), 403, "nonce_unknown")
	// The key path checks the action is offered before deciding.
	want(t, "key path, simulated action", b.do("POST", "/api/v1/devices/door/action", LANActionRequest{Action: "press", Chain: [][]byte{grant}, Proof: proof}), 400, "unknown_action")

	if _, err := kc.Challenge("garage", "open"); apiCode(err) != "unknown_device" {
		t.Errorf("challenge for an unknown device: %v", err)
	}
	if _, err := kc.Challenge("door", "door-open"); apiCode(err) != "unknown_action" {
		t.Errorf("challenge for a simulated action: %v", err)
	}
}

func TestLANStoreFailureMovesNothing(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	b := e.browser()
	b.login("alice", "1234")
	grant, key := e.issue(localauth.GrantSpec{Name: "carol", Role: wire.RoleResident, Devices: []string{"*"}})
	kc := e.keyClient()
	ch, err := kc.Challenge("door", "unlock")
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "door", Action: "unlock"})
	e.st.Close() // the SD card died: no decision can be recorded
	want(t, "session action", b.act("door", "unlock", ""), 503, "audit_failed")
	want(t, "key action", b.do("POST", "/api/v1/devices/door/action", LANActionRequest{Action: "unlock", Chain: [][]byte{grant}, Proof: proof}), 503, "audit_failed")
	if s := e.state("door"); s != "locked" {
		t.Errorf("door %s although no decision was recorded", s)
	}
}

func TestLANStatus(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	b := e.browser()
	want(t, "status without a session", b.do("GET", "/api/v1/status", nil), 401, "unauthenticated")
	b.login("gus", "5678")
	r := b.do("GET", "/api/v1/status", nil)
	want(t, "status", r, 200, "")
	if _, ok := r.json["cloud"]; !ok || r.json["cloud"] != nil || r.json["site"] != lanSite {
		t.Errorf("status with no cloud link: %s (want cloud null)", r.body)
	}

	e = newLANEnv(t, lanEnvOptions{cloud: true})
	e.residentAndGuest()
	b = e.browser()
	b.login("alice", "1234")
	since := lanStart.Add(-time.Hour)
	e.setCloud(&CloudStatus{Reachable: false, Since: since, Waiting: 7})
	var st LANStatus
	json.Unmarshal(b.do("GET", "/api/v1/status", nil).body, &st)
	if st.Cloud == nil || st.Cloud.Reachable || st.Cloud.Waiting != 7 || !st.Cloud.Since.Equal(since) || !st.Time.Equal(lanStart) {
		t.Errorf("status with the cloud unreachable: %+v %+v", st, st.Cloud)
	}
}

// The HomeKit setup code lets whoever holds it pair a controller that acts
// as the bridge's principal: the status hands it to an owner's session only,
// and only until a controller has paired. A resident, a guest and a stranger
// on the LAN never see it.
func TestLANStatusHomeKitSetupOwnersOnly(t *testing.T) {
	const code, uri = "123-45-678", "X-HM://0023ISYWY1234"
	var mu sync.Mutex
	paired := false
	e := newLANEnv(t, lanEnvOptions{lan: func(o *LANOptions) {
		o.HomeKit = func() homekit.Status {
			mu.Lock()
			defer mu.Unlock()
			return homekit.Status{Name: "edgeagent", SetupCode: code, SetupURI: uri, Paired: paired}
		}
	}})
	e.residentAndGuest()
	e.grant(localauth.GrantSpec{Name: "olga", Role: wire.RoleOwner, Devices: []string{"*"}, PIN: "9999"})
	status := func(b *browser) reply {
		t.Helper()
		r := b.do("GET", "/api/v1/status", nil)
		want(t, "status", r, 200, "")
		return r
	}
	stranger := e.browser()
	if r := stranger.do("GET", "/api/v1/status", nil); r.status != 401 || bytes.Contains(r.body, []byte(code)) {
		t.Errorf("status without a session: %d %s", r.status, r.body)
	}
	for _, u := range []struct{ user, pin string }{{"alice", "1234"}, {"gus", "5678"}} {
		b := e.browser()
		b.login(u.user, u.pin)
		if r := status(b); bytes.Contains(r.body, []byte(code)) || bytes.Contains(r.body, []byte("X-HM://")) || r.json["homekit"] != nil {
			t.Errorf("%s's status carries the HomeKit setup: %s", u.user, r.body)
		}
	}
	owner := e.browser()
	owner.login("olga", "9999")
	var st LANStatus
	if err := json.Unmarshal(status(owner).body, &st); err != nil {
		t.Fatal(err)
	}
	if st.HomeKit == nil || st.HomeKit.SetupCode != code || st.HomeKit.SetupURI != uri || st.HomeKit.Name != "edgeagent" {
		t.Errorf("owner's status before pairing: %+v, want the code %s and payload %s", st.HomeKit, code, uri)
	}
	mu.Lock()
	paired = true
	mu.Unlock()
	if r := status(owner); bytes.Contains(r.body, []byte(code)) || r.json["homekit"] != nil {
		t.Errorf("owner's status once paired still carries the setup: %s", r.body)
	}

	// HomeKit off: nothing, for an owner too.
	e = newLANEnv(t, lanEnvOptions{})
	e.grant(localauth.GrantSpec{Name: "olga", Role: wire.RoleOwner, Devices: []string{"*"}, PIN: "9999"})
	owner = e.browser()
	owner.login("olga", "9999")
	if r := status(owner); r.json["homekit"] != nil {
		t.Errorf("owner's status without a HomeKit bridge: %s", r.body)
	}
}

func TestLANCredentialsMailbox(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	b := e.browser() // no session: any phone may deliver
	g, _ := e.issue(localauth.GrantSpec{Name: "dave", Role: wire.RoleResident, Devices: []string{"*"}, PIN: "4444"})
	r := b.do("POST", "/api/v1/credentials", g)
	want(t, "grant", r, 200, "")
	if !strings.Contains(string(r.body), `"accepted"`) {
		t.Errorf("import answer %s", r.body)
	}
	b.login("dave", "4444")
	want(t, "same grant again", b.do("POST", "/api/v1/credentials", g), 200, "")
	want(t, "junk", b.do("POST", "/api/v1/credentials", []byte("junk")), 422, "malformed")
	stranger, _ := wire.GenerateKey(wire.Ed25519)
	bad, _ := localauth.IssueGrant(stranger, localauth.GrantSpec{Site: lanSite, Holder: stranger.Public(), Name: "eve", Role: wire.RoleOwner, Devices: []string{"*"}})
	want(t, "unpinned authority", b.do("POST", "/api/v1/credentials", bad), 422, "unknown_authority")
	want(t, "JSON body", b.do("POST", "/api/v1/credentials", `{"grant":"x"}`), 415, "unsupported_media_type")
	want(t, "empty", b.do("POST", "/api/v1/credentials", []byte{}), 400, "bad_request")
	want(t, "too large", b.do("POST", "/api/v1/credentials", make([]byte, maxCredential+1)), 413, "body_too_large")
}

func TestLANRateLimits(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{lan: func(o *LANOptions) { o.RequestsPerSecond = 1; o.LoginsPerMinute = 2 }})
	e.residentAndGuest()
	b := e.browser()
	want(t, "1", b.do("GET", "/healthz", nil), 200, "")
	want(t, "2", b.do("GET", "/healthz", nil), 200, "")
	r := b.do("GET", "/healthz", nil)
	want(t, "3: over the burst of 2", r, 429, "rate_limited")
	if r.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	want(t, "another address", e.browserFrom("127.0.0.2").do("GET", "/healthz", nil), 200, "")
	e.clk.Advance(time.Second)
	want(t, "a second later", b.do("GET", "/healthz", nil), 200, "")

	// Logins: not limited per user name across addresses, which would let
	// a stranger spend alice's share (the Keeper's lockouts bound guesses).
	e.clk.Advance(time.Minute)
	for i, addr := range []string{"127.0.0.3", "127.0.0.4"} {
		want(t, fmt.Sprintf("login %d", i+1), e.browserFrom(addr).do("POST", "/api/v1/login", LoginRequest{User: "alice", PIN: "9999"}), 401, "wrong_pin")
	}
	e.browserFrom("127.0.0.5").login("alice", "1234")
	// 2 a minute per address, whatever the user.
	c := e.browserFrom("127.0.0.6")
	c.do("POST", "/api/v1/login", LoginRequest{User: "x", PIN: "9999"})
	c.do("POST", "/api/v1/login", LoginRequest{User: "y", PIN: "9999"})
	want(t, "third login from one address", c.do("POST", "/api/v1/login", LoginRequest{User: "gus", PIN: "5678"}), 429, "rate_limited")
}

func TestLANCertificate(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	leaf := e.lan.cert.Leaf
	if leaf.PublicKeyAlgorithm != x509.ECDSA || !slices.Contains(leaf.DNSNames, "localhost") {
		t.Errorf("certificate: %v, names %v", leaf.PublicKeyAlgorithm, leaf.DNSNames)
	}
	if !slices.ContainsFunc(leaf.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) }) {
		t.Errorf("certificate IPs %v lack 127.0.0.1", leaf.IPAddresses)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	fp := e.lan.Fingerprint()
	again, err := NewLAN(LANOptions{Hub: e.hub, Store: e.st, SecState: e.sec, Keeper: e.keeper})
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != fp {
		t.Error("a restart made a new certificate: every pin would break")
	}
	if e.lan.Info().Fingerprint != fp.String() || !strings.HasPrefix(e.lan.Info().Listen, "127.0.0.1:") {
		t.Errorf("Info %+v", e.lan.Info())
	}

	var wrong Fingerprint
	wrong[0] = 1
	kc, _ := NewKeyClient(e.url, wrong)
	if _, err := kc.Challenge("door", "unlock"); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("a client pinned to another certificate: %v", err)
	}
	for _, bad := range []string{"http://127.0.0.1:1", "127.0.0.1:1", "https://", "https://h/x"} {
		if _, err := NewKeyClient(bad, fp); err == nil {
			t.Errorf("NewKeyClient(%q) accepted", bad)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	var f Fingerprint
	for i := range f {
		f[i] = byte(i * 7)
	}
	hex := strings.ReplaceAll(f.String(), ":", "")
	for _, s := range []string{f.String(), hex, strings.ToLower(hex), "SHA256:" + hex, "sha-256: " + strings.ToLower(f.String()), strings.ReplaceAll(f.String(), ":", " ")} {
		got, err := ParseFingerprint(s)
		if err != nil || got != f {
			t.Errorf("ParseFingerprint(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "abc", hex[:62], hex + "00", "zz" + hex[2:]} {
		if _, err := ParseFingerprint(s); err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", s)
		}
	}
}

func TestLANWebApp(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	b := e.browser()
	for _, c := range []struct{ accept, lang string }{
		{"", "en"}, {"ko-KR,ko;q=0.9,en-US;q=0.8", "ko"}, {"en-US,en;q=0.9,ko;q=0.8", "en"},
		{"fr-FR, ko;q=0.5", "ko"}, {"de", "en"}, {"ko;q=0, en;q=0.1", "en"},
	} {
		r := b.do("GET", "/", nil, "Accept-Language", c.accept)
		if !strings.Contains(string(r.body), `<html lang="`+c.lang+`">`) {
			t.Errorf("Accept-Language %q: page is not lang %s", c.accept, c.lang)
		}
	}
	page := string(b.do("GET", "/", nil).body)
	if strings.Contains(page, "<script>") || strings.Contains(page, " onclick") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page has inline script or a link to another host")
	}
	r := b.do("GET", "/app.js", nil)
	if r.header.Get("Content-Type") != "text/javascript; charset=utf-8" || r.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("app.js headers %v", r.header)
	}
	if r2 := b.do("GET", "/app.js", nil, "If-None-Match", r.header.Get("ETag")); r2.status != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", r2.status)
	}
	js := string(r.body)
	for _, k := range []string{"locked_out", "cloud_offline", "X-CSRF-Token", "ko:"} {
		if !strings.Contains(js, k) {
			t.Errorf("app.js lacks %q", k)
		}
	}
}

func TestLANFirstLoadUnder100KB(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	total, files := firstLoad(t, e)
	t.Logf("first load: %d bytes over %d files (gzip)", total, files)
	if total >= 100_000 {
		t.Errorf("first load is %d bytes, want under 100 KB", total)
	}
}

// firstLoad fetches the page and every asset it names, as a browser does
// (gzip accepted), and sums the bytes of the bodies.
func firstLoad(t testing.TB, e *lanEnv) (total, files int) {
	b := e.browser()
	b.c.Transport.(*http.Transport).DisableCompression = true // count the gzip bytes, not the inflated ones
	get := func(path string) []byte {
		r := b.do("GET", path, nil, "Accept-Encoding", "gzip, deflate, br")
		if r.status != 200 {
			t.Fatalf("GET %s: %d", path, r.status)
		}
		total += len(r.body)
		files++
		return r.body
	}
	page := gunzip(t, get("/"))
	for _, attr := range []string{`src="`, `href="`} {
		for rest := string(page); ; {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			get(rest[:strings.IndexByte(rest, '"')])
		}
	}
	return total, files
}

func BenchmarkLANFirstLoad(b *testing.B) {
	e := newLANEnv(b, lanEnvOptions{lan: func(o *LANOptions) { o.RequestsPerSecond = -1 }})
	var total, files int
	for b.Loop() {
		total, files = firstLoad(b, e)
	}
	b.ReportMetric(float64(total), "first-load-bytes")
	b.ReportMetric(float64(files), "files")
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the page is not gzipped: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
