package homekit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/brutella/hap"

	"github.com/edgeagent/edgeagent/internal/secstate"
)

func TestSetupCodes(t *testing.T) {
	for _, c := range []struct {
		code string
		ok   bool
	}{
		{"12345678", false}, {"87654321", false}, {"00000000", false}, {"11111111", false}, {"99999999", false},
		{"1234567", false}, {"123456789", false}, {"1234567a", false}, {"123-45-678", false},
		{"03145154", true}, {"20481024", true},
	} {
		if got := ValidSetupCode(c.code); got != c.ok {
			t.Errorf("ValidSetupCode(%q) = %v, want %v", c.code, got, c.ok)
		}
	}
	seen := map[string]bool{}
	for range 200 {
		code, err := NewSetupCode()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidSetupCode(code) {
			t.Fatalf("drew %q", code)
		}
		seen[code] = true
	}
	if len(seen) < 190 {
		t.Errorf("200 draws gave %d distinct codes", len(seen))
	}
}

// The payload carries the code, the category and the IP flag in the bit
// positions of HAP's setup payload: decoded here field by field.
func TestSetupURIFields(t *testing.T) {
	uri := SetupURI("03145154", "AB12", categoryBridge)
	if !strings.HasPrefix(uri, "X-HM://") || len(uri) != len("X-HM://")+9+4 || !strings.HasSuffix(uri, "AB12") {
		t.Fatalf("SetupURI = %q", uri)
	}
	v, err := strconv.ParseUint(strings.ToLower(uri[7:16]), 36, 64)
	if err != nil {
		t.Fatal(err)
	}
	if code, flags, cat, ver := v&(1<<27-1), v>>27&0xf, v>>31&0xff, v>>43&0x7; code != 3145154 || flags != 2 || cat != 2 || ver != 0 {
		t.Errorf("%s decodes to code %d flags %b category %d version %d", uri, code, flags, cat, ver)
	}
}

func ExampleSetupURI() {
	fmt.Println(FormatSetupCode("03145154"), SetupURI("03145154", "AB12", 2))
	// Output: 031-45-154 X-HM://0023ISYWYAB12
}

func TestStoreBoundsAndDamage(t *testing.T) {
	dir, err := secstate.Open(filepath.Join(t.TempDir(), "security"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxKeys {
		if err := s.Set(fmt.Sprintf("k%d.pairing", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set("one-more.pairing", []byte("x")); !errors.Is(err, ErrFull) {
		t.Fatalf("key %d: %v, want ErrFull", MaxKeys+1, err)
	}
	if err := s.Set("k0.pairing", []byte("y")); err != nil {
		t.Fatalf("replacing a key when full: %v", err)
	}
	if err := s.Delete("k1.pairing"); err != nil {
		t.Fatal(err)
	}
	again, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := again.Get("k0.pairing"); err != nil || string(v) != "y" {
		t.Errorf("reloaded k0: %q %v", v, err)
	}
	if _, err := again.Get("k1.pairing"); !errors.Is(err, ErrNoKey) {
		t.Errorf("reloaded deleted key: %v", err)
	}
	if again.Pairings() != MaxKeys-1 {
		t.Errorf("pairings %d", again.Pairings())
	}
	// Both copies garbled: the bridge must not start with new keys.
	for _, f := range []string{RecordName + ".0", RecordName + ".1"} {
		if err := os.WriteFile(filepath.Join(dir.Path(), f), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenStore(dir); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), dir.Path()) {
		t.Errorf("damaged record: %v, want ErrDamaged naming %s", err, dir.Path())
	}
}

// hap counts wrong setup codes in the record and refuses pair-setup after
// 100 (third_party/README.md): a reset that keeps the code keeps the count
// (the guesses still count against it); a reset with a new code clears it.
func TestForgetKeepsWrongCodeCountUnlessNewCode(t *testing.T) {
	dir, err := secstate.Open(filepath.Join(t.TempDir(), "security"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(hap.KeyPairSetupFailures, []byte("100")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Forget(false); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(hap.KeyPairSetupFailures); err != nil || string(v) != "100" {
		t.Fatalf("after reset without a new code: %q %v, want the count kept", v, err)
	}
	if _, err := s.Forget(true); err != nil {
		t.Fatal(err)
	}
	again, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Get(hap.KeyPairSetupFailures); !errors.Is(err, ErrNoKey) {
		t.Fatalf("after reset with a new code: %v, want the count gone", err)
	}
}
