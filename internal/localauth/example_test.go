package localauth_test

import (
	"crypto"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// An authority issues a grant to a phone key offline; the hub, which has
// only the authority's public key, lets the phone in after a
// challenge-response, and refuses the same answer a second time.
func Example() {
	dir, err := os.MkdirTemp("", "localauth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// On the owner's laptop.
	authority, _ := wire.GenerateKey(wire.Ed25519)
	phone, _ := wire.GenerateKey(wire.P256) // what phone secure hardware holds
	grant, err := localauth.IssueGrant(authority, localauth.GrantSpec{
		Site: "home-1", Holder: phone.Public(), Name: "alice", Role: wire.RoleResident,
		Devices: []string{"front-door"}, NotAfter: time.Now().Add(365 * 24 * time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}

	// On the hub.
	st, _, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		log.Fatal(err)
	}
	hub, err := localauth.New(localauth.Options{
		Site: "home-1", Authorities: []crypto.PublicKey{authority.Public()}, Store: st, SecState: sec,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()

	// The phone asks for a challenge and signs its answer.
	cb, _ := hub.Challenge("front-door", "unlock")
	c, _, _ := wire.ParseChallenge(cb)
	proof, _ := wire.SignProof(phone, &wire.Proof{Nonce: c.Nonce, Hub: c.Hub, Device: c.Device, Action: c.Action})

	req := localauth.Request{Chain: [][]byte{grant}, Proof: proof, Device: "front-door", Action: "unlock"}
	d, err := hub.Decide(req)
	fmt.Println(d.Reason, d.Role, err)
	d, _ = hub.Decide(req) // someone replays what they overheard
	fmt.Println(d.Reason)
	// Output:
	// granted resident <nil>
	// nonce_replayed
}

func ExampleParseSchedule() {
	ws, err := localauth.ParseSchedule("mon-fri 08:00-18:00; sat 22:00-01:00")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(ws), "windows:", localauth.FormatSchedule(ws))
	_, err = localauth.ParseSchedule("mon-fri 08:00-18:00; sat 10:00-14:0")
	fmt.Println(err)
	// Output:
	// 3 windows: mon-fri 08:00-18:00; sat 22:00-24:00; sun 00:00-01:00
	// localauth: invalid request: schedule window 2 "sat 10:00-14:0": bad time "14:0" (want HH:MM, 00:00 to 24:00)
}

func ExampleVerifyAudit() {
	dir, _ := os.MkdirTemp("", "localauth-example")
	defer os.RemoveAll(dir)
	st, _, _ := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	defer st.Close()
	sec, _ := secstate.Open(filepath.Join(dir, "security"))
	hub, _ := localauth.New(localauth.Options{Site: "home-1", Store: st, SecState: sec})
	defer hub.Close()

	res, err := hub.Import([]byte("not a credential")) // refused, and audited
	fmt.Println(res.Reason, errors.Is(err, localauth.ErrRefused))
	hub.Close() // writes the chain's head to the security state
	rep, err := localauth.VerifyAudit(st, sec)
	fmt.Println(rep.Entries, rep.LastSeq, rep.Security.Seq, rep.Events, err)
	// Output:
	// malformed true
	// 1 1 1 1 <nil>
}
