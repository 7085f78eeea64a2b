package localauth

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/benchtest"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// BenchmarkDecideCPU measures the CPU part of a key decision, in one
// goroutine: parsing the proof, the nonce check, the grant chain (its
// authority signature, or the chain cache's hit), site, the revocation
// lookup among 10 000 revoked ids, validity, role, schedule and the holder
// proof's signature. The durable commit (audit entry, event, used nonce)
// is left out on purpose: it is the disk's time, not the core's, and
// BenchmarkDecide measures it. chain=new presents a grant the hub has not
// verified before (two signature checks); chain=cached presents the same
// grant again, as a phone's second unlock does (one: the holder proof).
//
// decisions/s is 1 / the CPU time (user+system, getrusage, GC included)
// per decision over the timed parts. Challenges and proofs are made with
// the timer stopped.
func BenchmarkDecideCPU(b *testing.B) {
	for _, alg := range []wire.Alg{wire.Ed25519, wire.P256} {
		for _, chain := range []string{"new", "cached"} {
			b.Run("holder="+string(alg)+"/chain="+chain, func(b *testing.B) { benchDecideCPU(b, alg, chain == "cached") })
		}
	}
}

func benchDecideCPU(b *testing.B, alg wire.Alg, cached bool) {
	h := newHarness(b)
	holder := h.key(alg)
	ids := make([]string, 10000)
	for i := range ids {
		ids[i] = hex.EncodeToString(randomID())
	}
	snap, err := IssueRevocation(h.authority, RevocationSpec{Site: testSite, Serial: 1, GrantIDs: ids, IssuedAt: testStart})
	if err != nil {
		b.Fatal(err)
	}
	h.mustImport(snap)
	// One grant per decision for chain=new: the cache keys on the chain's
	// bytes, so each is a first sight.
	grants := make([][]byte, 1)
	if !cached {
		grants = make([][]byte, b.N)
	}
	for i := range grants {
		grants[i] = h.issue(h.spec(holder, func(s *GrantSpec) { s.Schedule = "mon-fri 07:00-22:00" }))
	}
	if cached { // the first sight, untimed
		h.clk.Advance(50 * time.Millisecond)
		if r := decideCPU(h.k, h.request(grants[0], holder)); r != "" {
			b.Fatalf("warming the chain cache: %s", r)
		}
	}

	const batch = 256
	reqs := make([]Request, 0, batch)
	var cpu time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		reqs = reqs[:0]
		for i := done; i < min(done+batch, b.N); i++ {
			// Time moves on, so that used nonces expire and are forgotten
			// as at a real door (a batch stays well inside their 30 s).
			h.clk.Advance(50 * time.Millisecond)
			reqs = append(reqs, h.request(grants[i%len(grants)], holder))
		}
		b.StartTimer()
		c0 := benchtest.CPUTime(b)
		for _, req := range reqs {
			if r := decideCPU(h.k, req); r != "" {
				b.Fatalf("decision %d: %s", done, r)
			}
			done++
		}
		cpu += benchtest.CPUTime(b) - c0
	}
	b.StopTimer()
	perOp := cpu / time.Duration(b.N)
	b.ReportMetric(float64(perOp.Nanoseconds())/1e3, "cpu-µs/decision")
	if perOp > 0 {
		b.ReportMetric(float64(time.Second)/float64(perOp), "decisions/s")
	}
}

// request is a key request for front-door unlock with a fresh challenge.
func (h *harness) request(grant []byte, holder crypto.Signer) Request {
	c := h.challenge("front-door", "unlock")
	return Request{Chain: [][]byte{grant}, Proof: prove(h.t, holder, c), Device: "front-door", Action: "unlock"}
}

// decideCPU is Decide's checks without its record: the proof parsed, the
// nonce taken, then evaluate. It returns the deny reason, or "".
func decideCPU(k *Keeper, req Request) Reason {
	proof, proofMsg, err := wire.ParseProof(req.Proof)
	if err != nil {
		return ReasonMalformedProof
	}
	if r := k.takeNonce(proof.Nonce, req.Device, req.Action); r != "" {
		return r
	}
	var d Decision
	return k.evaluate(req, proof, proofMsg, &d)
}

// pi4Hz is a Raspberry Pi 4's core clock (Cortex-A72, BCM2711).
const pi4Hz = 1.5e9

// BenchmarkDecideARM64 runs BenchmarkDecideCPU twice in one run, under the
// same conditions: this package's test binary built for the host and for
// linux/arm64, started with the same flags, the arm64 one under
// qemu-aarch64-static. It reports both, their ratio, and an estimate for a
// Raspberry Pi 4 core, which is not a measurement:
//
//   - pi4-max-decisions/s scales the host's figure by clock, 1.5 GHz over
//     the host core's (cpu MHz of /proc/cpuinfo): an upper bound, as a
//     Cortex-A72 (3-wide, in order of issue for its multiplier) does no
//     more per cycle than a server core on this big-number arithmetic.
//   - qemu-arm64-decisions/s runs the arm64 code (Go's arm64 assembly for
//     P-256 included) translated by qemu: it shows the arm64 build works
//     at that order, and is no Pi figure (qemu's speed depends on the host).
func BenchmarkDecideARM64(b *testing.B) {
	qemu := benchtest.Qemu(b)
	hostHz := cpuHz(b)
	host, arm := benchtest.TestBinaries(b, "localauth")
	for _, alg := range []wire.Alg{wire.Ed25519, wire.P256} {
		for _, chain := range []string{"new", "cached"} {
			name := "holder=" + string(alg) + "/chain=" + chain
			b.Run(name, func(b *testing.B) {
				args := []string{"-test.run=^$", "-test.bench=^BenchmarkDecideCPU$/^" + name + "$", "-test.benchtime=200x"}
				var hostM, armM map[string]float64
				for range b.N {
					hostM = decideMetrics(b, append([]string{host}, args...)...)
					armM = decideMetrics(b, append([]string{qemu, arm}, args...)...)
				}
				hd, qd := hostM["decisions/s"], armM["decisions/s"]
				b.ReportMetric(hd, "host-decisions/s")
				b.ReportMetric(qd, "qemu-arm64-decisions/s")
				b.ReportMetric(hd/qd, "ratio-host/qemu")
				b.ReportMetric(hd*pi4Hz/hostHz, "pi4-max-decisions/s")
			})
		}
	}
}

// cpuHz reads the first core's clock from /proc/cpuinfo.
func cpuHz(tb testing.TB) float64 {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || mhz <= 0 {
				tb.Fatalf("/proc/cpuinfo: cpu MHz %q", v)
			}
			return mhz * 1e6
		}
	}
	tb.Fatal("/proc/cpuinfo has no cpu MHz line")
	return 0
}

// decideMetrics runs a test binary's BenchmarkDecideCPU and returns its
// metrics; a run that measured no decision fails the benchmark.
func decideMetrics(b *testing.B, argv ...string) map[string]float64 {
	m := benchtest.Metrics(b, "BenchmarkDecideCPU/", argv...)
	if m["decisions/s"] <= 0 {
		b.Fatalf("%s: no decisions/s in %v", argv, m)
	}
	return m
}
