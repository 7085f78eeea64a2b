package localapi

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// BenchmarkLANKeyAction measures what a phone does at the door over the
// LAN: POST /api/v1/challenge, check the challenge and sign the proof,
// POST the action with the grant (HTTPS, one kept-alive connection), with
// 10 000 grants imported in the Keeper. Each key path is two round trips,
// two signature operations on the hub (the challenge signed, the holder
// proof checked; the authority's signature on the grant is checked once
// and cached by the chain's hash), two durable commits (the decision's
// audit entry and the switch's own record) and no write for the
// challenge: challenges are stateless, the used nonce is marked in memory
// only. Rate limits are off: they would be the thing measured.
//
// p50-ms and p99-ms are the two round trips, as the phone waits for them;
// the phone's own work between them (checking the hub's signature on the
// challenge, signing the proof: a phone's secure hardware, not the hub) is
// client-*, and e2e-* is the whole with it. Target: p99 under 3 ms. The
// key path runs three times an iteration, the parts once.
//
// Where the time goes is measured in the same loop, each part alone, on
// the same hub, store and loopback (the parts are p50 and p99 in µs):
//
//	http-*       the same key path over plain HTTP to the same handler
//	             (https minus http: what TLS costs)
//	rt-https-*   two round trips to /healthz over the kept-alive TLS
//	rt-http-*    connection, and over plain HTTP: the transport alone
//	json-*       the four bodies decoded and encoded by the handlers' code
//	challenge-*  Keeper.Challenge: a nonce made and signed
//	decide-*     Keeper.Decide: the decision with its durable audit commit
//	commit-*     a bare store commit of an audit entry's size (the floor
//	             of decide's commit)
//	device-*     Hub.Do: the pin write and the device's own durable record
//	gpio-*       the simulated pin write alone, inside device
//	floor-*      what no implementation can skip: two rt-https, one raw
//	             Ed25519 signature and one verification, two bare commits;
//	             ratio-* is p50-ms and p99-ms over it
//
// gc/op is the garbage collections per iteration (everything in it,
// the benchmark's own client included).
func BenchmarkLANKeyAction(b *testing.B) {
	e := newLANEnv(b, lanEnvOptions{lan: func(o *LANOptions) { o.RequestsPerSecond, o.LoginsPerMinute = -1, -1 }})
	const grants = 10000
	t0 := time.Now()
	for i := range grants {
		e.grant(localauth.GrantSpec{Name: fmt.Sprintf("user-%05d", i), Role: wire.RoleResident, Devices: []string{"*"}})
	}
	if n := e.keeper.Status().Grants; n != grants {
		b.Fatalf("%d grants held", n)
	}
	b.Logf("imported %d grants in %v", grants, time.Since(t0).Round(time.Millisecond))
	grant, key := e.issue(localauth.GrantSpec{Name: "carol", Role: wire.RoleResident, Devices: []string{"light"}})
	chain := [][]byte{grant}

	secure := e.keyClient()
	plain := &KeyClient{Base: plainServer(b, e.lan), http: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}, Timeout: 15 * time.Second}}
	for _, c := range []*KeyClient{secure, plain} { // the TLS handshake, once
		if _, err := c.Act(chain, key, "light", "toggle", ""); err != nil {
			b.Fatal(err)
		}
	}
	var pin atomic.Int64 // the last action's pin write, in ns
	e.hub.ObserveActions(func(_, _ string, took time.Duration) { pin.Store(int64(took)) })
	commit := floorCommit(b, e)
	floor := floorOp(b, commit)
	bodies := jsonBodies(b, e, chain, key)

	parts := map[string][]time.Duration{}
	add := func(name string, d time.Duration) { parts[name] = append(parts[name], d) }
	since := func(name string, t time.Time) { add(name, time.Since(t)) }
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	https := func() {
		trip, client := keyPath(b, secure, chain, key)
		add("hub", trip)
		add("client", client)
		add("e2e", trip+client)
	}
	n := 0
	last := time.Now()
	for b.Loop() {
		// The hub's clock follows the real one: what the Keeper does once
		// a second in the background (the audit head written to the
		// security state, four fsyncs on the disk the commits use) comes
		// at its real rate, not at the rate of iterations; and used
		// nonces expire as they would at a real door.
		now := time.Now()
		e.clk.Advance(now.Sub(last))
		last = now

		// HTTPS and plain HTTP take turns going first: neither gains from
		// its place in the loop.
		n++
		for i := range 2 {
			if (n+i)%2 == 0 {
				https()
				add("rt-https", roundTrips(b, secure))
			} else {
				trip, _ := keyPath(b, plain, chain, key)
				add("http", trip)
				add("rt-http", roundTrips(b, plain))
			}
		}

		t := time.Now()
		bodies.run(b)
		since("json", t)

		t = time.Now()
		c, err := e.keeper.Challenge("light", "toggle")
		since("challenge", t)
		if err != nil {
			b.Fatal(err)
		}
		req := localauth.Request{Chain: chain, Proof: proveFor(b, c, key), Device: "light", Action: "toggle", Transport: localauth.TransportLAN}
		t = time.Now()
		d, err := e.keeper.Decide(req)
		since("decide", t)
		if err != nil || !d.Granted {
			b.Fatalf("%+v %v", d, err)
		}

		t = time.Now()
		commit()
		since("commit", t)

		// The key path three times an iteration, between the parts: a
		// p99 needs samples.
		https()

		// The floor: what no implementation of this path can skip.
		t = time.Now()
		floor()
		add("floor", time.Since(t)+roundTrips(b, secure))

		t = time.Now()
		_, err = e.hub.Do("light", "toggle", "")
		since("device", t)
		add("gpio", time.Duration(pin.Load()))
		if err != nil {
			b.Fatal(err)
		}
		https()
	}
	b.StopTimer()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.NumGC-ms0.NumGC)/float64(b.N), "gc/op")

	p50, p99 := percentiles(parts["hub"])
	b.ReportMetric(float64(p50)/1e6, "p50-ms")
	b.ReportMetric(float64(p99)/1e6, "p99-ms")
	_, e2e := percentiles(parts["e2e"])
	b.ReportMetric(float64(e2e)/1e6, "e2e-p99-ms")
	f50, f99 := percentiles(parts["floor"])
	b.ReportMetric(float64(p50)/float64(f50), "ratio-p50")
	b.ReportMetric(float64(p99)/float64(f99), "ratio-p99")
	for _, name := range []string{"floor", "client", "http", "rt-https", "rt-http", "json", "challenge", "decide", "commit", "device", "gpio"} {
		p50, p99 := percentiles(parts[name])
		b.ReportMetric(float64(p50)/1e3, name+"-p50-µs")
		b.ReportMetric(float64(p99)/1e3, name+"-p99-µs")
	}
}

// keyPath runs the key path once with c: the two round trips the phone
// waits for (trip), and the phone's own work between them (client).
func keyPath(b *testing.B, c *KeyClient, chain [][]byte, key crypto.Signer) (trip, client time.Duration) {
	t0 := time.Now()
	var ans ChallengeAnswer
	if err := c.do(http.MethodPost, "/api/v1/challenge", ChallengeRequest{Device: "light", Action: "toggle"}, &ans); err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	ch, err := checkChallenge(&ans, "light", "toggle")
	if err != nil {
		b.Fatal(err)
	}
	proof, err := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "light", Action: "toggle"})
	if err != nil {
		b.Fatal(err)
	}
	t2 := time.Now()
	var res LANActionResult
	if err := c.do(http.MethodPost, "/api/v1/devices/light/action", LANActionRequest{Action: "toggle", Chain: chain, Proof: proof}, &res); err != nil || !res.Decision.Granted {
		b.Fatalf("%+v %v", res, err)
	}
	return t1.Sub(t0) + time.Since(t2), t2.Sub(t1)
}

// roundTrips is two GET /healthz on c's kept-alive connection: what the
// transport costs two requests with nearly nothing to do.
func roundTrips(b *testing.B, c *KeyClient) time.Duration {
	t := time.Now()
	for range 2 {
		resp, err := c.http.Get(c.Base + "/healthz")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
	return time.Since(t)
}

// plainServer serves l's API over plain HTTP on a loopback port until the
// benchmark ends: the same server, handler and limits as Serve's, less TLS.
func plainServer(b *testing.B, l *LAN) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := l.server()
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	b.Cleanup(func() { srv.Close(); <-done })
	return "http://" + ln.Addr().String()
}

func proveFor(b *testing.B, challenge []byte, key crypto.Signer) []byte {
	ch, _, err := wire.ParseChallenge(challenge)
	if err != nil {
		b.Fatal(err)
	}
	proof, err := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: ch.Device, Action: ch.Action})
	if err != nil {
		b.Fatal(err)
	}
	return proof
}

// floorOp returns the floor of the hub's part of the key path, less its
// two round trips (the caller adds them): one raw Ed25519 signature (the
// challenge), one raw verification (the holder proof; the authority's
// signature is cached) and two bare commits (the decision's audit entry,
// then the device's record after its pin moved).
func floorOp(b *testing.B, commit func()) func() {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	msg := make([]byte, 150) // a Sig_structure of a challenge or a proof
	rand.Read(msg)
	return func() {
		if sig := ed25519.Sign(priv, msg); !ed25519.Verify(pub, msg, sig) {
			b.Fatal("floor verification failed")
		}
		commit()
		commit()
	}
}

// floorCommit returns a bare commit in the hub's store: one value the size
// of an audit entry in a bucket of its own.
func floorCommit(b *testing.B, e *lanEnv) func() {
	bucket := []byte("bench_floor")
	if err := e.st.Update(func(tx *store.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 250)
	var seq uint64
	return func() {
		seq++
		if err := e.st.Update(func(tx *store.Tx) error {
			return tx.Bucket(bucket).Put(fmt.Appendf(nil, "%016x", seq), value)
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// bodies are the key path's four JSON bodies, as they cross the wire.
type bodies struct {
	challengeReq, actionReq []byte
	answer                  ChallengeAnswer
	result                  LANActionResult
	w                       *discardWriter
}

func jsonBodies(b *testing.B, e *lanEnv, chain [][]byte, key crypto.Signer) *bodies {
	c, err := e.keeper.Challenge("light", "toggle")
	if err != nil {
		b.Fatal(err)
	}
	var bs bodies
	bs.challengeReq = mustJSON(b, ChallengeRequest{Device: "light", Action: "toggle"})
	bs.actionReq = mustJSON(b, LANActionRequest{Action: "toggle", Chain: chain, Proof: proveFor(b, c, key)})
	bs.answer = ChallengeAnswer{Challenge: c, HubKey: e.keeper.HubPublicKey()}
	st, err := e.hub.Get("light")
	if err != nil {
		b.Fatal(err)
	}
	bs.result = LANActionResult{State: st, Decision: localauth.Decision{Granted: true, Reason: localauth.ReasonGranted,
		Role: wire.RoleResident, Name: "carol", Device: "light", Action: "toggle", Time: lanStart, AuditSeq: 12345, Transport: localauth.TransportLAN}}
	bs.w = &discardWriter{h: http.Header{}}
	return &bs
}

// run decodes the two requests and encodes the two answers with the
// handlers' own readJSON and writeJSON.
func (bs *bodies) run(b *testing.B) {
	r, _ := http.NewRequest(http.MethodPost, "/", nil)
	r.Body = io.NopCloser(bytes.NewReader(bs.challengeReq))
	var creq ChallengeRequest
	if !readJSON(bs.w, r, &creq, maxBody) {
		b.Fatal("challenge request")
	}
	writeJSON(bs.w, http.StatusOK, bs.answer)
	r.Body = io.NopCloser(bytes.NewReader(bs.actionReq))
	var areq LANActionRequest
	if !readJSON(bs.w, r, &areq, maxActionBody) {
		b.Fatal("action request")
	}
	writeJSON(bs.w, http.StatusOK, bs.result)
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func mustJSON(b *testing.B, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return j
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}
