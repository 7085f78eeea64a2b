package main

// The web app as a phone key, in real Chromium against the LAN API served
// in-process (startLANSite): a WebCrypto key enrolled through the real
// issuer CLI, unlocks by the key path, revocation, guest keys signed in
// one browser profile and used in another, the certificate pin, the app
// opening with the hub off. The bytes the page signs are checked by the Go
// verifier (the Keeper) every time: nothing here trusts the page's own word.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// authorityDir writes the site's authority key where the issuer CLI reads
// it (--authority DIR).
func (s *lanSite) authorityDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := wire.EncodePrivateKeyPEM(s.auth)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, localauth.AuthorityKeyFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserKeyPEM opens the app, asks for a key and returns the public key
// the page shows, after checking that its QR code says the same.
func browserKeyPEM(t testing.TB, ctx context.Context, url string) string {
	t.Helper()
	chrome(t, ctx, "make a key",
		chromedp.Navigate(url),
		chromedp.WaitVisible(css("#key-start")),
		chromedp.Click(css("#key-start")),
		chromedp.WaitVisible(css("#enrol")),
		chromedp.WaitVisible(css(`#key-qr[data-text]`)),
	)
	pub := eval[string](t, ctx, `document.getElementById('key-pub').value`)
	if !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("the page shows %q as its key", pub)
	}
	if got := qrText(t, ctx, "#key-qr"); got != pub {
		t.Errorf("the QR code says %q, the text %q", got, pub)
	}
	return pub
}

// qrText decodes the QR code drawn in a canvas with zbarimg, from a
// screenshot: what a phone's camera would read.
func qrText(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zbarimg is not installed (apt-get install zbar-tools)")
		}
		t.Log("zbarimg is not installed: the QR code is not decoded (CI=true makes this a failure)")
		return eval[string](t, ctx, `document.querySelector('`+sel+`').dataset.text`)
	}
	sub, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sub, chromedp.Screenshot(css(sel)))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", "-Sbinary", f).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code in %s: %v", sel, err)
	}
	return string(out)
}

// issueFor issues a grant to a browser's key with the real CLI, the
// public key on its standard input as the web app tells residents to do.
func issueFor(t *testing.T, s *lanSite, pub string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "grant")
	mustCLI(t, pub, append([]string{"grant", "issue", "--authority", s.authorityDir(t), "--site", "home", "--holder", "-", "--out", out}, args...)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addGrant pastes a grant (or a link) into the enrolment screen.
func addGrant(t testing.TB, ctx context.Context, text string) {
	t.Helper()
	chrome(t, ctx, "add the grant",
		chromedp.SetValue(css("#grant-in"), text),
		chromedp.Click(css("#grant-add")),
		chromedp.WaitVisible(css("#keyapp")),
	)
}

func keyCard(id string) string { return "#key-devices " + card(id) }

// lastDecision is the newest decision in the audit log.
func lastDecision(t *testing.T, s *lanSite) wire.AuditEntry {
	t.Helper()
	es, err := s.keeper.AuditEntries(0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Kind == "decision" {
			return es[i]
		}
	}
	t.Fatal("no decision in the audit log")
	return wire.AuditEntry{}
}

func pemKey(t testing.TB, pub string) crypto.PublicKey {
	t.Helper()
	k, err := wire.ParsePublicKeyPEM([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestBrowserKeyEnrolUnlockRevoke(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	pub := browserKeyPEM(t, ctx, s.url)
	holder := pemKey(t, pub)
	if _, ok := holder.(*ecdsa.PublicKey); !ok {
		t.Fatalf("the browser's key is a %T, want P-256", holder)
	}
	// The private key cannot be read out of the page, even by its own script.
	if got := await[string](t, ctx, `EA.load('key').then(k => crypto.subtle.exportKey('pkcs8', k.pair.privateKey).then(() => 'exported', e => k.pair.privateKey.extractable + ' ' + e.name))`); got != "false InvalidAccessError" {
		t.Errorf("exporting the private key: %q, want it refused", got)
	}
	if fp := text(t, ctx, "#hub-pin"); !strings.Contains(fp, "pinned on first use") {
		t.Errorf("the pin is not shown on first use: %q", fp)
	}

	grant := issueFor(t, s, pub, "--name", "olivia", "--role", "resident", "--devices", "front-door,hall-light")
	addGrant(t, ctx, base64.StdEncoding.EncodeToString(grant))
	if who := text(t, ctx, "#key-who"); !strings.Contains(who, "olivia") || !strings.Contains(who, "resident") {
		t.Errorf("key screen says %q", who)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#key-devices article').length`); n != 2 {
		t.Errorf("%d devices on the key screen, want the grant's 2", n)
	}
	chrome(t, ctx, "unlock by key",
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(keyCard("front-door")+`[data-state="unlocked"]`)),
	)
	kid, _ := wire.KeyIDOf(holder)
	d := lastDecision(t, s)
	if !d.OK || d.Device != "front-door" || d.Action != "unlock" || wire.IDFrom(d.Key) != kid || d.Detail == localauth.DetailPINSession || d.Transport != "lan" {
		t.Errorf("audit %+v: want a granted key-path decision by the browser's key %s", d, kid)
	}

	// The key and the grant survive a reload (IndexedDB).
	chrome(t, ctx, "reload and unlock again",
		chromedp.Reload(),
		chromedp.WaitVisible(css(keyCard("front-door"))),
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(keyCard("front-door")+`[data-state="unlocked"]`)),
	)
	if d2 := lastDecision(t, s); d2.Seq == d.Seq || !d2.OK {
		t.Errorf("no new granted decision after the reload: %+v", d2)
	}

	info, err := localauth.ParseGrant(grant)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := localauth.IssueRevocation(s.auth, localauth.RevocationSpec{Site: "home", Serial: 1, GrantIDs: []string{info.ID.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.keeper.Import(rev); err != nil {
		t.Fatal(err)
	}
	chrome(t, ctx, "unlock after revocation",
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(`#key-msg[data-code="revoked"]`)),
	)
	if msg := text(t, ctx, "#key-msg"); msg != "Your access has been revoked." {
		t.Errorf("after revocation the page says %q", msg)
	}
	if d := lastDecision(t, s); d.OK || d.Reason != "revoked" {
		t.Errorf("audit after revocation: %+v", d)
	}
}

// ownerKey enrols a browser as an owner of front-door and hall-light,
// whose grant ends in 30 days.
func ownerKey(t *testing.T, s *lanSite, ctx context.Context) (pub string, grant []byte) {
	t.Helper()
	pub = browserKeyPEM(t, ctx, s.url)
	// From an hour ago: a guest key that has already ended can hang from it.
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	until := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	grant = issueFor(t, s, pub, "--name", "owen", "--role", "owner", "--devices", "front-door,hall-light", "--not-before", from, "--not-after", until)
	addGrant(t, ctx, base64.StdEncoding.EncodeToString(grant))
	chrome(t, ctx, "the guest form", chromedp.WaitVisible(css("#guest")))
	return pub, grant
}

// localInput is a time as an <input type=datetime-local> takes it.
func localInput(t time.Time) string { return t.Local().Format("2006-01-02T15:04") }

func TestBrowserGuestKey(t *testing.T) {
	// Owner and guest browse from one loopback address here, where two
	// phones would each have their own: the per-address rate limit is
	// raised so that the two together do not trip it.
	s := startLANSiteAt(t, "127.0.0.1:0", func(o *localapi.LANOptions) { o.RequestsPerSecond = 200 })
	owner := newChromium(t, "en-US,en;q=0.9")
	_, ownerGrant := ownerKey(t, s, owner)
	guest := newChromium(t, "en-US,en;q=0.9")
	guestPub := browserKeyPEM(t, guest, s.url)

	// Wider than the owner's grant (it ends in 30 days): the app refuses.
	chrome(t, owner, "a guest key longer than the owner's",
		chromedp.SetValue(css("#guest-pub"), guestPub),
		chromedp.SetValue(css("#guest-name"), "gran"),
		chromedp.Click(css(`#guest-devices input[value="front-door"]`)),
		chromedp.SetValue(css("#guest-until"), localInput(time.Now().Add(60*24*time.Hour))),
		chromedp.Click(css("#guest-issue")),
		chromedp.WaitVisible(css(`#guest-msg[data-code="delegation_too_wide"]`)),
	)
	if msg := text(t, owner, "#guest-msg"); !strings.Contains(msg, "ends after your grant") {
		t.Errorf("the app's refusal says %q", msg)
	}
	if !eval[bool](t, owner, `document.getElementById('guest-out').hidden`) {
		t.Error("a link was shown for a refused guest key")
	}

	chrome(t, owner, "a guest key for two days",
		chromedp.SetValue(css("#guest-until"), localInput(time.Now().Add(48*time.Hour))),
		chromedp.Click(css("#guest-issue")),
		chromedp.WaitVisible(css("#guest-out")),
	)
	link := eval[string](t, owner, `document.getElementById('guest-link').value`)
	if !strings.HasPrefix(link, s.url+"/#grant=") || !strings.Contains(link, "&owner=") {
		t.Fatalf("guest link %q", link)
	}
	if got := qrText(t, owner, "#guest-qr"); got != link {
		t.Errorf("the guest QR code says %q, the link %q", got, link)
	}

	// The guest opens the link (in their own browser, with their own key).
	chrome(t, guest, "open the guest link",
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(link),
		chromedp.WaitVisible(css("#keyapp")),
		chromedp.WaitVisible(css(keyCard("front-door"))),
	)
	if u := eval[string](t, guest, `location.href`); strings.Contains(u, "grant=") {
		t.Errorf("the grant stays in the address bar: %s", u)
	}
	if n := eval[int](t, guest, `document.querySelectorAll('#key-devices article').length`); n != 1 {
		t.Errorf("the guest sees %d devices, want front-door only", n)
	}
	if !eval[bool](t, guest, `document.getElementById('guest').hidden`) {
		t.Error("a guest is offered to give keys")
	}
	chrome(t, guest, "the guest unlocks",
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(keyCard("front-door")+`[data-state="unlocked"]`)),
	)
	oinfo, err := localauth.ParseGrant(ownerGrant)
	if err != nil {
		t.Fatal(err)
	}
	d := lastDecision(t, s)
	if !d.OK || d.Role != "guest" || d.Subject != "gran" || !strings.Contains(d.Detail, "delegated from grant "+oinfo.ID.String()) {
		t.Errorf("audit %+v: want gran's granted decision delegated from the owner's grant %s", d, oinfo.ID)
	}

	// Signed anyway with the app's check skipped: the hub refuses it too.
	before, _ := s.hub.Get("heating")
	wide := await[string](t, owner, `EA.load('chain').then(async (c) => {
		const k = await EA.load('key');
		const d = await EA.delegate(k, c[0], EA.parsePEM(`+jsString(guestPub)+`),
			{ name: 'gran', devices: ['heating'], actions: ['on'], notAfter: Math.floor(Date.now() / 1000) + 3600 }, false);
		return EA.link(location.origin, [d, c[0]]);
	})`)
	chrome(t, guest, "the guest tries a wider key",
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(wide),
		chromedp.WaitVisible(css("#keyapp")),
	)
	code := await[string](t, guest, `EA.act('heating', 'on').then(r => r.data.error.code)`)
	if code != "delegation_too_wide" {
		t.Errorf("the hub answered %q to a delegation wider than the owner's grant", code)
	}
	if after, _ := s.hub.Get("heating"); after.Attrs["mode"] != before.Attrs["mode"] {
		t.Errorf("the heating's mode went from %v to %v", before.Attrs["mode"], after.Attrs["mode"])
	}
	if d := lastDecision(t, s); d.OK || d.Reason != "delegation_too_wide" {
		t.Errorf("audit of the wider delegation: %+v", d)
	}

	// An expired delegation: refused at the door, said so.
	expired := await[string](t, owner, `EA.load('chain').then(async (c) => {
		const k = await EA.load('key');
		const now = Math.floor(Date.now() / 1000);
		const g = await EA.grantInfo(c[0]);
		const d = await EA.delegate(k, c[0], EA.parsePEM(`+jsString(guestPub)+`),
			{ name: 'gran', devices: ['front-door'], issuedAt: g.nbf, notBefore: g.nbf, notAfter: g.nbf + 60 });
		return EA.link(location.origin, [d, c[0]]);
	})`)
	chrome(t, guest, "an expired guest key",
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(expired),
		chromedp.WaitVisible(css(keyCard("front-door"))),
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(`#key-msg[data-code="expired"]`)),
	)
	if d := lastDecision(t, s); d.OK || d.Reason != "expired" {
		t.Errorf("audit of the expired guest key: %+v", d)
	}
}

// await evaluates a JavaScript expression whose value is a promise.
func await[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	sub, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sub, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowserDelegationBytes checks a delegation made by the page against
// the Go issuer and verifier: the same payload bytes as
// localauth.Delegate for the same inputs, the same protected header as
// go-cose writes, a signature the Keeper verifies, and the same decisions
// as the Go-made delegation for a table of requests.
func TestBrowserDelegationBytes(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	ownerPub, ownerGrant := ownerKey(t, s, ctx)
	ownerKid, _ := wire.KeyIDOf(pemKey(t, ownerPub))
	oinfo, err := localauth.ParseGrant(ownerGrant)
	if err != nil {
		t.Fatal(err)
	}
	// The site's schedule is in its time zone; the Keeper here runs in UTC.
	const schedule = "mon-fri 08:00-18:00; sat 22:00-02:00"
	for _, alg := range []wire.Alg{wire.P256, wire.Ed25519} {
		t.Run(string(alg), func(t *testing.T) {
			guestKey, _ := wire.GenerateKey(alg)
			guestPEM, _ := wire.EncodePublicKeyPEM(guestKey.Public())
			iat := time.Now().Add(-time.Minute).Truncate(time.Second)
			exp := iat.Add(72 * time.Hour)
			id := "00112233445566778899aabbccddeeff"
			js := await[string](t, ctx, fmt.Sprintf(`EA.load('chain').then(async (c) => {
				const k = await EA.load('key');
				const sched = EA.windows(0b0111110, 8*60, 18*60).concat(EA.windows(0b1000000, 22*60, 2*60));
				const d = await EA.delegate(k, c[0], EA.parsePEM(%s), { name: 'gran', devices: ['front-door'],
					issuedAt: %d, notAfter: %d, schedule: sched, id: Uint8Array.from(%s.match(/../g), (h) => parseInt(h, 16)) });
				return EA.b64(d);
			})`, jsString(string(guestPEM)), iat.Unix(), exp.Unix(), jsString(id)))
			browser, err := base64.StdEncoding.DecodeString(js)
			if err != nil {
				t.Fatal(err)
			}
			bg, bs, err := wire.ParseGrant(browser)
			if err != nil {
				t.Fatalf("the Go parser refuses the browser's delegation: %v", err)
			}
			if bs.Alg != wire.P256 || bs.KeyID != ownerKid {
				t.Errorf("signed with %s by %s, want ES256 by the owner's key %s", bs.Alg, bs.KeyID, ownerKid)
			}
			// Same inputs through the Go issuer's own grant builder, with
			// the browser's id: the payload bytes must be equal.
			want := expectedDelegation(t, ownerGrant, guestKey.Public(), iat, exp, schedule)
			want.ID = bg.ID
			wantPayload, err := wire.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if got := bs.Payload; string(got) != string(wantPayload) {
				t.Errorf("payload differs from the Go issuer's:\n browser %x\n go      %x", got, wantPayload)
			}
			var msg cose.Sign1Message
			if err := msg.UnmarshalCBOR(browser); err != nil {
				t.Fatal(err)
			}
			wantProt, err := cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmES256, cose.HeaderLabelKeyID: ownerKid[:], cose.HeaderLabelType: wire.TypeGrant}.MarshalCBOR()
			if err != nil {
				t.Fatal(err)
			}
			var rawProt []byte
			if err := cbor.Unmarshal(wantProt, &rawProt); err != nil {
				t.Fatal(err)
			}
			var env cbor.RawTag
			if err := cbor.Unmarshal(browser, &env); err != nil {
				t.Fatal(err)
			}
			var parts []cbor.RawMessage
			if err := cbor.Unmarshal(env.Content, &parts); err != nil {
				t.Fatal(err)
			}
			var gotProt []byte
			if err := cbor.Unmarshal(parts[0], &gotProt); err != nil {
				t.Fatal(err)
			}
			if env.Number != 18 || string(gotProt) != string(rawProt) {
				t.Errorf("envelope: tag %d, protected %x; go-cose writes %x", env.Number, gotProt, rawProt)
			}

			// The decision table: the browser's delegation and one signed in
			// Go over the same payload decide alike at the Keeper.
			chain := [][]byte{browser, ownerGrant}
			for _, c := range []struct{ device, action, reason string }{
				{"front-door", "unlock", ""}, // granted or outside the schedule, whichever now is
				{"front-door", "lock", ""},
				{"hall-light", "on", "device_not_allowed"},
				{"heating", "on", "device_not_allowed"},
			} {
				got := decideWith(t, s, chain, guestKey, c.device, c.action)
				if got.Delegator != oinfo.ID {
					t.Errorf("%s %s: delegator %s, want %s", c.device, c.action, got.Delegator, oinfo.ID)
				}
				wantReason := c.reason
				if wantReason == "" {
					if inSchedule(t, want.Schedule, got.Time) {
						wantReason = "granted"
					} else {
						wantReason = "outside_schedule"
					}
				}
				if string(got.Reason) != wantReason {
					t.Errorf("%s %s: %s, want %s", c.device, c.action, got.Reason, wantReason)
				}
			}
		})
	}
}

// expectedDelegation is the grant localauth.Delegate builds for these
// inputs. Delegate needs the owner's private key, which never leaves the
// browser: so it delegates from a copy of the owner grant made out to a
// Go key (Delegate does not verify the owner grant's signature; the
// claims it reads are the same).
func expectedDelegation(t *testing.T, ownerGrant []byte, guest crypto.PublicKey, iat, exp time.Time, schedule string) *wire.Grant {
	t.Helper()
	og, _, err := wire.ParseGrant(ownerGrant)
	if err != nil {
		t.Fatal(err)
	}
	stand, _ := wire.GenerateKey(wire.P256)
	ck, _ := wire.COSEKeyOf(stand.Public())
	og.Holder = wire.Confirmation{Key: ck}
	auth, _ := wire.GenerateKey(wire.Ed25519)
	copyGrant, err := wire.SignGrant(auth, og)
	if err != nil {
		t.Fatal(err)
	}
	b, err := localauth.Delegate(copyGrant, stand, localauth.GrantSpec{
		Holder: guest, Name: "gran", Devices: []string{"front-door"}, NotAfter: exp, Schedule: schedule, IssuedAt: iat,
	})
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := wire.ParseGrant(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// decideWith presents chain at the Keeper with a proof by key over a fresh
// challenge, as a phone would.
func decideWith(t *testing.T, s *lanSite, chain [][]byte, key crypto.Signer, device, action string) localauth.Decision {
	t.Helper()
	chb, err := s.keeper.Challenge(device, action)
	if err != nil {
		t.Fatal(err)
	}
	ch, _, err := wire.ParseChallenge(chb)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: device, Action: action})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.keeper.Decide(localauth.Request{Chain: chain, Proof: proof, Device: device, Action: action, Transport: localauth.TransportLAN})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// inSchedule is whether trusted time at falls in the windows (the Keeper
// of startLANSite has no time zone: UTC).
func inSchedule(t *testing.T, ws []wire.Window, at time.Time) bool {
	at = at.UTC()
	m := uint16(at.Hour()*60 + at.Minute())
	return slices.ContainsFunc(ws, func(w wire.Window) bool {
		return w.Days&(1<<uint(at.Weekday())) != 0 && w.Start <= m && m < w.End
	})
}

// TestBrowserCertificatePin: a hub that answers at the same address with
// another certificate is refused, with the explanation.
func TestBrowserCertificatePin(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	login(t, ctx, s.url, "alice", "2468")
	pinned := eval[string](t, ctx, `JSON.parse(localStorage.getItem('hub-pin')).fingerprint`)
	if !strings.Contains(text(t, ctx, "#hub-pin"), pinned) {
		t.Errorf("the pinned fingerprint %s is not shown", pinned)
	}
	s.stopLAN()
	impostor := startLANSiteAt(t, strings.TrimPrefix(s.url, "https://"), nil)
	chrome(t, ctx, "the hub is replaced",
		chromedp.Navigate(impostor.url),
		chromedp.WaitVisible(css("#tofu")),
	)
	msg := text(t, ctx, "#tofu-text")
	if !strings.Contains(msg, "Refused") || !strings.Contains(msg, pinned) {
		t.Errorf("the refusal says %q", msg)
	}
	if !eval[bool](t, ctx, `document.getElementById('login').hidden && document.getElementById('app').hidden`) {
		t.Error("the app offers to log in to a hub whose certificate changed")
	}
}

// TestBrowserOffline: the app installed from the hub opens with the hub
// off the network and says what is possible.
func TestBrowserOffline(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	pub := browserKeyPEM(t, ctx, s.url)
	addGrant(t, ctx, base64.StdEncoding.EncodeToString(issueFor(t, s, pub, "--name", "olivia", "--role", "resident", "--devices", "*")))
	if ok := await[bool](t, ctx, `EA.offline`); !ok {
		t.Fatal("the app shell was not cached for offline use")
	}
	if p := text(t, ctx, "#paths"); !strings.Contains(p, "Connected to your hub") {
		t.Errorf("paths with the hub up: %q", p)
	}
	manifest := await[string](t, ctx, `fetch('/manifest.webmanifest').then(r => r.json()).then(m => m.display + ' ' + m.start_url)`)
	if manifest != "standalone /" {
		t.Errorf("manifest: %q", manifest)
	}
	s.stopLAN()
	chrome(t, ctx, "open the app with the hub off",
		chromedp.Navigate(s.url),
		chromedp.WaitVisible(css(`#paths[data-path="none"]`)),
		chromedp.WaitVisible(css("#keyapp")),
	)
	if p := text(t, ctx, "#paths"); !strings.Contains(p, "does not answer") || !strings.Contains(p, "Wi-Fi") {
		t.Errorf("offline, the app says %q", p)
	}
	if who := text(t, ctx, "#key-who"); !strings.Contains(who, "olivia") {
		t.Errorf("offline, the key screen says %q", who)
	}
}

// TestBrowserKeyScreenshots writes the README's pictures of the phone key
// in English and Korean when EDGEAGENT_SCREENSHOTS names a directory
// (make screenshots): the key to send, a guest key to hand over, the app
// opened with the hub off.
func TestBrowserKeyScreenshots(t *testing.T) {
	dir := os.Getenv("EDGEAGENT_SCREENSHOTS")
	if dir == "" {
		t.Skip("set EDGEAGENT_SCREENSHOTS=DIR (make screenshots)")
	}
	for _, l := range []struct{ suffix, accept string }{{"", "en-US,en;q=0.9"}, {"-ko", "ko-KR,ko;q=0.9"}} {
		s := startLANSite(t)
		ctx := newChromium(t, l.accept)
		shot := func(ctx context.Context, name string) {
			t.Helper()
			chrome(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+l.suffix+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		guestCtx := newChromium(t, l.accept)
		guestPub := browserKeyPEM(t, guestCtx, s.url)
		shot(guestCtx, "key-enrol")
		ownerKey(t, s, ctx)
		chrome(t, ctx, "a guest key",
			chromedp.SetValue(css("#guest-pub"), guestPub),
			chromedp.SetValue(css("#guest-name"), "gran"),
			chromedp.Click(css(`#guest-devices input[value="front-door"]`)),
			chromedp.Click(css(`#guest-days input[value="6"]`)),
			chromedp.SetValue(css("#guest-from"), "10:00"),
			chromedp.SetValue(css("#guest-to"), "18:00"),
			chromedp.SetValue(css("#guest-until"), localInput(time.Now().Add(48*time.Hour))),
			chromedp.Click(css("#guest-issue")),
			chromedp.WaitVisible(css("#guest-out")),
		)
		shot(ctx, "key-guest")
		if !await[bool](t, ctx, `EA.offline`) {
			t.Fatal("the app shell was not cached for offline use")
		}
		s.stopLAN()
		chrome(t, ctx, "the hub off",
			chromedp.Navigate(s.url),
			chromedp.WaitVisible(css(`#paths[data-path="none"]`)),
		)
		shot(ctx, "key-offline")
	}
}
