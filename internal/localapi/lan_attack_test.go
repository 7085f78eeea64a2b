package localapi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The attacks of issue 9 on the LAN API, each against the real HTTPS
// server on loopback. Attackers are other loopback addresses (127.0.0.2
// and up), dialled from: the server sees their real source addresses.

// post sends a JSON body; safe from any goroutine (it reports, not fails).
func post(c *http.Client, url string, body any) (int, error) {
	j, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	resp, err := c.Post(url, "application/json", bytes.NewReader(j))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// TestLANChallengeFloodOwnerUnlocks: four addresses ask for 19 challenges
// a second each, under the per-address limit (20), for 40 s: more than a
// 30 s TTL's worth (2 280) of challenges that are never answered, twice
// what the old table of pending challenges held (1 024). Meanwhile the
// owner unlocks the door with her phone key every second: every unlock
// succeeds, each request within a 1 s client deadline (generous: the
// server holds no sleep; it is there so that "busy, try later" could not
// pass as success).
func TestLANChallengeFloodOwnerUnlocks(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{lan: func(o *LANOptions) { o.RequestsPerSecond = 20 }})
	grant, key := e.issue(localauth.GrantSpec{Name: "olga", Role: wire.RoleOwner, Devices: []string{"*"}})
	owner := e.keyClient()
	owner.http.Timeout = time.Second
	var attackers []*browser
	for _, addr := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"} {
		attackers = append(attackers, e.browserFrom(addr))
	}
	const seconds, perSecond = 40, 19
	var mu sync.Mutex
	served := 0
	for s := range seconds {
		var wg sync.WaitGroup
		for _, a := range attackers {
			wg.Go(func() {
				for range perSecond {
					code, err := post(a.c, e.url+"/api/v1/challenge", ChallengeRequest{Device: "door", Action: "unlock"})
					if err != nil {
						t.Errorf("attacker: %v", err)
						return
					}
					mu.Lock()
					if code == http.StatusOK {
						served++
					}
					mu.Unlock()
				}
			})
		}
		res, err := owner.Act([][]byte{grant}, key, "door", "unlock", "")
		if err != nil || !res.Decision.Granted || res.State.State != "unlocked" {
			t.Errorf("second %d: the owner's unlock during the flood: %+v %v", s, res.Decision, err)
		}
		wg.Wait()
		e.clk.Advance(time.Second)
	}
	// The flood was real: every attacker request was served.
	if served != seconds*perSecond*len(attackers) {
		t.Errorf("%d attacker challenges served, want %d", served, seconds*perSecond*len(attackers))
	}
}

// TestLANPINLockoutPerAddress: an attacker at 127.0.0.2 locks the name
// alice out by wrong PINs. Alice logs in from 127.0.0.3 all the same, and
// her phone key opens the door. An attacker with more addresses reaches the
// per-user backstop, which holds back every address that guessed wrong,
// not alice's; her phone key opens the door throughout.
func TestLANPINLockoutPerAddress(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	grant, key := e.grant(localauth.GrantSpec{Name: "alice", Role: wire.RoleResident, Devices: []string{"*"}, PIN: "1234"})
	kc := e.keyClient()
	phoneKey := func(what string) {
		t.Helper()
		res, err := kc.Act([][]byte{grant}, key, "door", "unlock", "")
		if err != nil || !res.Decision.Granted {
			t.Errorf("%s: alice's phone key: %+v %v", what, res.Decision, err)
		}
	}
	guess := func(b *browser, pin string) reply {
		t.Helper()
		return b.do("POST", "/api/v1/login", LoginRequest{User: "alice", PIN: pin})
	}

	mallory := e.browserFrom("127.0.0.2")
	want(t, "guess 1", guess(mallory, "0000"), 401, "wrong_pin")
	want(t, "guess 2", guess(mallory, "0001"), 401, "wrong_pin")
	want(t, "guess 3: locked", guess(mallory, "0002"), 429, "locked_out")
	want(t, "the right PIN from the locked address", guess(mallory, "1234"), 429, "locked_out")

	alice := e.browserFrom("127.0.0.3")
	alice.login("alice", "1234")
	want(t, "alice's session", alice.act("light", "on", ""), 200, "")
	phoneKey("locked out at another address")
	want(t, "still locked at the attacker's address", guess(mallory, "1234"), 429, "locked_out")

	// The backstop: 4 × 3 wrong PINs in all, from 127.0.0.4 to .8; .7
	// has only two of its own.
	n := 0
	for i, tries := range []int{3, 3, 3, 2, 1} {
		b := e.browserFrom(fmt.Sprintf("127.0.0.%d", 4+i))
		for range tries {
			guess(b, fmt.Sprintf("9%03d", n))
			n++
		}
	}
	want(t, "an address held back by the backstop", guess(e.browserFrom("127.0.0.7"), "1234"), 429, "locked_out")
	phoneKey("the backstop holding")
	e.browserFrom("127.0.0.3").login("alice", "1234")
}

// TestLANLoginUnknownNamesAnswerAlike: a name that exists and one that does
// not get the same answers (status, code, Retry-After, body) at every step:
// wrong PINs, the lockout, attempts while locked, and after it ends.
func TestLANLoginUnknownNamesAnswerAlike(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	e.residentAndGuest()
	pairs := []struct{ known, unknown string }{{"alice", "alicia"}, {"gus", "mallory"}}
	steps := []struct {
		advance time.Duration
		want    int
	}{
		{0, 401}, {0, 401}, {0, 429}, // the 3rd wrong PIN locks
		{0, 429}, {30 * time.Second, 429}, // while locked
		{31 * time.Second, 429}, // after it: the next wrong PIN locks for longer
		{0, 429},
	}
	b := e.browserFrom("127.0.0.2")
	for i, st := range steps {
		e.clk.Advance(st.advance)
		for _, p := range pairs {
			k := b.do("POST", "/api/v1/login", LoginRequest{User: p.known, PIN: "0000"})
			u := b.do("POST", "/api/v1/login", LoginRequest{User: p.unknown, PIN: "0000"})
			if k.status != st.want {
				t.Errorf("step %d: %s got %d, want %d", i, p.known, k.status, st.want)
			}
			if k.status != u.status || k.code() != u.code() || k.header.Get("Retry-After") != u.header.Get("Retry-After") || !bytes.Equal(k.body, u.body) {
				t.Errorf("step %d: %s and %s are told apart:\n%d %s %s\n%d %s %s", i, p.known, p.unknown,
					k.status, k.header.Get("Retry-After"), k.body, u.status, u.header.Get("Retry-After"), u.body)
			}
		}
	}
}

// TestLANEventsByRole: each role sees exactly the events of the devices its
// grant covers and of the authentication events only its own (its logins
// and imports too, but for a guest); only the owner sees others'
// authentication events and the hub's events of no device.
func TestLANEventsByRole(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	users := []struct {
		name, pin, tag string
		role           wire.Role
		devices        []string
	}{
		{"olga", "1111", "o", wire.RoleOwner, []string{"*"}},
		{"alice", "2222", "r", wire.RoleResident, []string{"door", "light"}},
		{"gus", "3333", "g", wire.RoleGuest, []string{"light"}},
		{"sam", "4444", "s", wire.RoleService, []string{"boiler"}},
	}
	ids := map[string]string{}
	browsers := map[string]*browser{}
	for _, u := range users {
		g, _ := e.grant(localauth.GrantSpec{Name: u.name, Role: u.role, Devices: u.devices, PIN: u.pin, NotAfter: lanStart.Add(24 * time.Hour)})
		info, err := localauth.ParseGrant(g)
		if err != nil {
			t.Fatal(err)
		}
		ids[u.tag] = hex.EncodeToString(info.ID[:])
	}
	for _, u := range users {
		browsers[u.tag] = e.browser()
		browsers[u.tag].login(u.name, u.pin)
	}
	auth := func(typ, device, who string) store.Event {
		ev := store.Event{Class: store.ClassAudit, Device: device, Type: typ, Data: map[string]any{"reason": "granted"}}
		if who != "" {
			ev.Data["grant"] = ids[who]
		}
		return ev
	}
	// Each fixed event and who sees it (owner, resident, guest, service).
	fixed := []struct {
		ev     store.Event
		seenBy string
	}{
		{store.Event{Class: store.ClassAudit, Device: "door", Type: "unlocked", Data: map[string]any{"by": "lan"}}, "or"},
		{store.Event{Class: store.ClassState, Device: "light", Type: "switched_on"}, "org"},
		{store.Event{Class: store.ClassState, Device: "boiler", Type: "boiler_on"}, "os"},
		{store.Event{Class: store.ClassState, Device: "curtain", Type: "cover_moving"}, "o"},
		{auth(localauth.EventDecision, "door", "r"), "or"},
		{auth(localauth.EventDecision, "door", "o"), "o"},
		{auth(localauth.EventDecision, "light", "g"), "og"},
		{auth(localauth.EventDecision, "door", "g"), "o"}, // his, but not his device
		{auth(localauth.EventDecision, "boiler", "s"), "os"},
		{auth(localauth.EventDecision, "light", ""), "o"}, // no grant: a stranger's attempt
		{auth(localauth.EventPIN, "", "r"), "or"},
		{auth(localauth.EventPIN, "", ""), "o"},
		{auth(localauth.EventImport, "", "s"), "os"},
		{auth(localauth.EventPIN, "", "g"), "o"}, // a guest sees his devices only
		{store.Event{Class: store.ClassAudit, Type: "alarm_raised", Data: map[string]any{"alarm": "outbox_full"}}, "o"},
		{store.Event{Class: store.ClassAudit, Device: "door", Type: "command_accepted", Data: map[string]any{"id": "c1"}}, "or"},
	}
	before, err := e.st.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	if err := e.st.Update(func(tx *store.Tx) error {
		seqs = seqs[:0] // Update may run the function again
		for _, f := range fixed {
			ev := f.ev
			if err := e.st.AppendEvent(tx, &ev); err != nil {
				return err
			}
			seqs = append(seqs, ev.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Before the fixed events: the four imports and four logins, of no
	// device. The owner sees them all, the resident and the service their
	// own two, the guest none.
	prelude, err := e.st.Events(0, int(before))
	if err != nil {
		t.Fatal(err)
	}

	for _, u := range users {
		var want []uint64
		for i := len(fixed) - 1; i >= 0; i-- {
			if bytes.ContainsRune([]byte(fixed[i].seenBy), rune(u.tag[0])) {
				want = append(want, seqs[i])
			}
		}
		own := 0
		for i := len(prelude) - 1; i >= 0; i-- {
			ev := prelude[i]
			mine := ev.Data["grant"] == ids[u.tag]
			if mine {
				own++
			}
			if u.role == wire.RoleOwner || (mine && u.role != wire.RoleGuest) {
				want = append(want, ev.Seq)
			}
		}
		if own != 2 {
			t.Fatalf("%s: %d events of their own before the fixed ones, want 2 (import, login)", u.name, own)
		}
		var evs []LANEvent
		r := browsers[u.tag].do("GET", "/api/v1/events?limit=100", nil)
		if err := json.Unmarshal(r.body, &evs); err != nil {
			t.Fatalf("%s: %d %s", u.name, r.status, r.body)
		}
		var got []uint64
		for _, ev := range evs {
			got = append(got, ev.Seq)
			if u.role == wire.RoleGuest && ev.Data != nil {
				t.Errorf("guest %s sees event %d with data %v", u.name, ev.Seq, ev.Data)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s (%s) sees events %v, want %v", u.name, u.role, got, want)
		}
	}
}
