package localapi

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
)

func openCertStores(t *testing.T, dir string) (*store.Store, *secstate.Dir) {
	t.Helper()
	st, _, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		t.Fatal(err)
	}
	return st, sec
}

// The certificate's fingerprint is what phones pin: a store recovered
// empty must not change it. A hub that kept it in the store moves it to its
// record once, and the store's copy goes.
func TestCertificateOutlivesStore(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	st, sec := openCertStores(t, dir)
	// Kept in the store, as before the record existed.
	der, keyDER, err := makeCert([]string{"localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx *store.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketCert)
		if err != nil {
			return err
		}
		if err := b.Put(keyCertDER, der); err != nil {
			return err
		}
		return b.Put(keyCertKey, keyDER)
	}); err != nil {
		t.Fatal(err)
	}
	_, fp, err := loadCert(sec, st, nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if want := Fingerprint(sha256.Sum256(der)); fp != want {
		t.Fatalf("fingerprint %s, want the store's %s", fp, want)
	}
	if err := st.View(func(tx *store.Tx) error {
		if tx.Bucket(bucketCert) != nil {
			return errors.New("the store still holds the certificate")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	st.Close()

	// The store is lost (a power cut; recovered empty).
	if err := os.Truncate(filepath.Join(dir, "state.db"), 0); err != nil {
		t.Fatal(err)
	}
	st, sec = openCertStores(t, dir)
	defer st.Close()
	if !st.Health().Recovered {
		t.Fatal("store not recovered")
	}
	if _, fp2, err := loadCert(sec, st, nil, nil, log); err != nil || fp2 != fp {
		t.Errorf("after the store was lost: %s %v, want %s", fp2, err, fp)
	}

	// One copy of the record damaged: the other serves.
	path := filepath.Join(sec.Path(), recCert+".0")
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 0xff
	os.WriteFile(path, b, 0o600)
	if _, fp3, err := loadCert(sec, st, nil, nil, log); err != nil || fp3 != fp {
		t.Errorf("with one copy damaged: %s %v, want %s", fp3, err, fp)
	}
}

func FuzzCertRecord(f *testing.F) {
	f.Add(certRecord([]byte("der"), []byte("key"))) // as written
	f.Add([]byte{0, 0, 0, 9, 1})                    // a DER length past the end
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		der, key, err := splitCertRecord(b)
		if err != nil {
			return
		}
		if back := certRecord(der, key); !bytes.Equal(back, b) {
			t.Fatalf("%x → %x", b, back)
		}
	})
}
