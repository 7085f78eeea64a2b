package wire

import (
	"bytes"
	"testing"
)

// An entry recorded before audit entries named their transport must encode,
// and so hash, exactly as it did: otherwise every chain written by an older
// hub would stop verifying at its first entry.
func TestAuditTransportKeepsOldEncoding(t *testing.T) {
	// The AuditEntry of before key 18, field for field.
	type oldEntry struct {
		Seq     uint64 `cbor:"1,keyasint"`
		Prev    []byte `cbor:"2,keyasint"`
		Time    int64  `cbor:"3,keyasint"`
		Wall    int64  `cbor:"4,keyasint"`
		Kind    string `cbor:"5,keyasint"`
		OK      bool   `cbor:"6,keyasint"`
		Reason  string `cbor:"7,keyasint"`
		Grant   []byte `cbor:"8,keyasint,omitempty"`
		Key     []byte `cbor:"9,keyasint,omitempty"`
		Device  string `cbor:"10,keyasint,omitempty"`
		Action  string `cbor:"11,keyasint,omitempty"`
		User    string `cbor:"12,keyasint,omitempty"`
		Detail  string `cbor:"13,keyasint,omitempty"`
		Boot    uint64 `cbor:"14,keyasint,omitempty"`
		Serial  uint64 `cbor:"15,keyasint,omitempty"`
		Role    string `cbor:"16,keyasint,omitempty"`
		Subject string `cbor:"17,keyasint,omitempty"`
	}
	prev := make([]byte, HashSize)
	old, err := Marshal(&oldEntry{Seq: 7, Prev: prev, Time: 1, Wall: 2, Kind: "decision", OK: true, Reason: "granted", Device: "door", Action: "unlock", Subject: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := DecodeAuditEntry(old)
	if err != nil {
		t.Fatalf("an old entry no longer decodes: %v", err)
	}
	if e.Transport != "" {
		t.Errorf("old entry decoded with transport %q", e.Transport)
	}
	now, _, err := EncodeAuditEntry(e)
	if err != nil || !bytes.Equal(now, old) {
		t.Fatalf("an old entry re-encodes differently:\n old %x\n now %x (%v)", old, now, err)
	}
	e.Transport = "ble"
	withT, _, _ := EncodeAuditEntry(e)
	back, err := DecodeAuditEntry(withT)
	if err != nil || back.Transport != "ble" || bytes.Equal(withT, old) {
		t.Fatalf("transport not carried: %+v %v", back, err)
	}
}
