package hap

// Tests of edgeagent's fork (third_party/README.md): pairing messages too
// short for their tag are refused (v0.0.35 panicked), and wrong setup codes
// are bounded (v0.0.35 took guesses forever).

import (
	"bytes"
	"crypto/sha512"
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

// trySetupCode runs pair-setup M1 and M3 with code (XXX-XX-XXX) and
// returns the M2 error, or the M4 reply.
func trySetupCode(t *testing.T, srv *Server, addr, code string) tlvReply {
	t.Helper()
	r := post(t, srv.pairSetup, addr, m1{Method: MethodPair, State: M1})
	if r.Error != 0 {
		return r
	}
	s, err := srp.NewSRP(srpGroup, sha512.New, keyDerivativeFuncRFC2945(sha512.New, []byte("Pair-Setup")))
	if err != nil {
		t.Fatal(err)
	}
	cs := s.NewClientSession([]byte("Pair-Setup"), []byte(code))
	if _, err := cs.ComputeKey(r.Salt, r.PublicKey); err != nil {
		t.Fatal(err)
	}
	return post(t, srv.pairSetup, addr, m3{Method: MethodPair, PublicKey: cs.GetA(), Proof: cs.ComputeAuthenticator(), State: M3})
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
