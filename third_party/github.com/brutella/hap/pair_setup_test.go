package hap

// Tests of edgeagent's fork (third_party/README.md): pairing messages too
// short for their tag are refused (v0.0.35 panicked), and wrong setup codes
// are bounded (v0.0.35 took guesses forever).

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/brutella/hap/accessory"
	"github.com/brutella/hap/tlv8"
	"github.com/tadglines/go-pkgs/crypto/srp"
)

func testServer(t *testing.T, st Store) *Server {
	t.Helper()
	a := accessory.New(accessory.Info{Name: "bridge"}, accessory.TypeBridge)
	srv, err := NewServer(st, a)
	if err != nil {
		t.Fatal(err)
	}
	srv.Pin = "12344321"
	return srv
}

type tlvReply struct {
	Salt      []byte `tlv8:"2,optional"`
	PublicKey []byte `tlv8:"3,optional"`
	Proof     []byte `tlv8:"4,optional"`
	State     byte   `tlv8:"6,optional"`
	Error     byte   `tlv8:"7,optional"`
}

// post sends one pairing message from addr, as the controller would, and
// decodes the reply.
func post(t *testing.T, h http.HandlerFunc, addr string, msg interface{}) tlvReply {
	t.Helper()
	b, err := tlv8.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/pair", bytes.NewReader(b))
	req.RemoteAddr = addr
	w := httptest.NewRecorder()
	h(w, req)
	var r tlvReply
	if err := tlv8.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply %x: %v", w.Body.Bytes(), err)
	}
	return r
}

type m1 struct {
	Method byte `tlv8:"0"`
	State  byte `tlv8:"6"`
}

type m3 struct {
	Method    byte   `tlv8:"0"`
	PublicKey []byte `tlv8:"3"`
	Proof     []byte `tlv8:"4"`
	State     byte   `tlv8:"6"`
}

type encrypted struct {
	Method        byte   `tlv8:"0"`
	EncryptedData []byte `tlv8:"5"`
	State         byte   `tlv8:"6"`
}

// hapClient is a controller's side of SRP-6a as HomeKit controllers (and
// HAP-NodeJS's fast-srp-hap) compute it: A sent padded to the group's
// size, K = H(PAD(S)).
type hapClient struct {
	n, g, a, aPub *big.Int
}

func newHAPClient(t *testing.T) *hapClient {
	t.Helper()
	grp, err := srp.GetGroup(srpGroup)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	c := &hapClient{n: grp.Prime, g: grp.Generator, a: new(big.Int).SetBytes(secret)}
	c.aPub = new(big.Int).Exp(c.g, c.a, c.n)
	return c
}

func (c *hapClient) pad(n *big.Int) []byte { return n.FillBytes(make([]byte, (c.n.BitLen()+7)/8)) }

// proof returns A as sent, S padded and M1 for the salt and B of an M2.
func (c *hapClient) proof(code string, salt, bBuf []byte) (a, s, m1 []byte) {
	x := new(big.Int).SetBytes(keyDerivativeFuncRFC2945(sha512.New, []byte("Pair-Setup"))(salt, []byte(code)))
	k := new(big.Int).SetBytes(hashOf(c.n.Bytes(), c.pad(c.g)))
	b := new(big.Int).SetBytes(bBuf)
	u := new(big.Int).SetBytes(hashOf(c.pad(c.aPub), c.pad(b)))
	// S = (B - k*g^x)^(a + u*x) mod N
	base := new(big.Int).Exp(c.g, x, c.n)
	base.Mul(base, k).Sub(b, base).Mod(base, c.n)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	sBuf := c.pad(new(big.Int).Exp(base, exp, c.n))
	hn, hg := hashOf(c.n.Bytes()), hashOf(c.g.Bytes())
	for i := range hn {
		hn[i] ^= hg[i]
	}
	a = c.pad(c.aPub)
	return a, sBuf, hashOf(hn, hashOf([]byte("Pair-Setup")), salt, a, bBuf, hashOf(sBuf))
}

// trySetupCode runs pair-setup M1 and M3 with code (XXX-XX-XXX) and
// returns the M2 error, or the M4 reply.
func trySetupCode(t *testing.T, srv *Server, addr, code string) tlvReply {
	t.Helper()
	r := post(t, srv.pairSetup, addr, m1{Method: MethodPair, State: M1})
	if r.Error != 0 {
		return r
	}
	a, _, proof := newHAPClient(t).proof(code, r.Salt, r.PublicKey)
	return post(t, srv.pairSetup, addr, m3{Method: MethodPair, PublicKey: a, Proof: proof, State: M3})
}

// The right code is taken when the controller's A or the shared S begins
// with a zero byte (as a HomeKit controller pads them): v0.0.35's SRP
// (go-pkgs) refused it then, about 2 pairings in 256.
func TestPairSetupLeadingZeros(t *testing.T) {
	srv := testServer(t, NewMemStore())
	const addr = "192.0.2.1:50000"
	for _, which := range []string{"A", "S"} {
		r := post(t, srv.pairSetup, addr, m1{Method: MethodPair, State: M1})
		if r.Error != 0 {
			t.Fatalf("M1: %+v", r)
		}
		var a, proof []byte
		for i := 0; ; i++ { // 1 in 256 draws; bounded
			if i == 10000 {
				t.Fatalf("no %s with a leading zero in %d draws", which, i)
			}
			c := newHAPClient(t)
			if which == "A" && c.pad(c.aPub)[0] != 0 {
				continue // S need not be computed
			}
			var s []byte
			a, s, proof = c.proof("123-44-321", r.Salt, r.PublicKey)
			if which == "A" || s[0] == 0 {
				break
			}
		}
		m4 := post(t, srv.pairSetup, addr, m3{Method: MethodPair, PublicKey: a, Proof: proof, State: M3})
		if m4.Error != 0 || len(m4.Proof) == 0 {
			t.Errorf("%s with a leading zero: %+v, want M4 with a proof", which, m4)
		}
	}
}

// An M5 (pair-setup) or M3 (pair-verify) whose encrypted data is shorter
// than its 16-byte tag is refused: v0.0.35 sliced before checking and
// panicked. Anyone on the LAN can send either after an M1.
func TestPairingShortEncryptedData(t *testing.T) {
	srv := testServer(t, NewMemStore())
	const addr = "192.0.2.1:50000"
	if r := post(t, srv.pairSetup, addr, m1{Method: MethodPair, State: M1}); r.Error != 0 {
		t.Fatalf("M1: error %d", r.Error)
	}
	if r := post(t, srv.pairSetup, addr, encrypted{Method: MethodPair, EncryptedData: []byte("short"), State: M5}); r.State != M6 || r.Error != TlvErrorUnknown {
		t.Errorf("pair-setup M5 of 5 bytes: %+v, want M6 error %d", r, TlvErrorUnknown)
	}
	srv.setSession(addr, &pairVerifySession{})
	if r := post(t, srv.pairVerify, addr, encrypted{Method: MethodPair, EncryptedData: []byte("short"), State: M3}); r.State != M4 || r.Error != TlvErrorAuthentication {
		t.Errorf("pair-verify M3 of 5 bytes: %+v, want M4 error %d", r, TlvErrorAuthentication)
	}
}

// Wrong setup codes are counted in the store, so a restart does not reset
// them; after MaxPairSetupFailures every pair-setup is refused with
// kTLVError_MaxTries, the right code too, until the key is deleted (a new
// code). v0.0.35 let a LAN neighbour try every code of the 10^8.
func TestPairSetupWrongCodesBounded(t *testing.T) {
	st := NewMemStore()
	srv := testServer(t, st)
	const addr = "192.0.2.1:50000"
	if r := trySetupCode(t, srv, addr, "111-22-333"); r.State != M4 || r.Error != TlvErrorAuthentication {
		t.Fatalf("a wrong code: %+v, want M4 error %d", r, TlvErrorAuthentication)
	}
	if b, err := st.Get(KeyPairSetupFailures); err != nil || string(b) != "1" {
		t.Fatalf("count after a wrong code: %q, %v", b, err)
	}
	// One before the bound: the right code still works, the next wrong one
	// reaches it.
	if err := st.Set(KeyPairSetupFailures, []byte("98")); err != nil {
		t.Fatal(err)
	}
	if r := trySetupCode(t, srv, addr, "123-44-321"); r.Error != 0 || len(r.Proof) == 0 {
		t.Fatalf("the right code after 98 wrong ones: %+v, want M4 with a proof", r)
	}
	if r := trySetupCode(t, srv, addr, "111-22-333"); r.Error != TlvErrorAuthentication {
		t.Fatalf("the 99th wrong code: %+v", r)
	}
	if r := trySetupCode(t, srv, addr, "111-22-333"); r.Error != TlvErrorAuthentication {
		t.Fatalf("the 100th wrong code: %+v", r)
	}
	for _, s := range []*Server{srv, testServer(t, st)} { // and after a restart
		if r := trySetupCode(t, s, addr, "123-44-321"); r.State != M2 || r.Error != TlvErrorMaxTries {
			t.Fatalf("the right code after 100 wrong ones: %+v, want M2 error %d", r, TlvErrorMaxTries)
		}
	}
	if err := st.Delete(KeyPairSetupFailures); err != nil {
		t.Fatal(err)
	}
	if r := trySetupCode(t, srv, addr, "123-44-321"); r.Error != 0 || len(r.Proof) == 0 {
		t.Fatalf("the right code once the count is deleted: %+v", r)
	}
}
