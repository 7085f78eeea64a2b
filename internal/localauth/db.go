package localauth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// Buckets of the agent's store that this package owns. Records are small
// fixed binary layouts rather than CBOR: they are written only by this code,
// and the grant index must load 10 000 entries in a few milliseconds.
var (
	bucketMeta       = []byte("auth_meta")        // the keys below
	bucketGrants     = []byte("auth_grants")      // grant id → signed grant, as imported
	bucketGrantIndex = []byte("auth_grant_index") // grant id → grantRecord
	bucketPIN        = []byte("auth_pin")         // user name → pinRecord
	bucketAudit      = []byte("auth_audit")       // big-endian seq → SHA-256 of entry ‖ entry

	keyHubKey      = []byte("hub_key")      // Ed25519 seed: only read to move it to the hubkey record (durable.go)
	keyFloor       = []byte("floor")        // trusted-time floor, Unix ns
	keyAnchor      = []byte("anchor")       // last time anchor: Unix ns ‖ source
	keySnapshot    = []byte("snapshot")     // the signed revocation snapshot in force
	keyAuditAnchor = []byte("audit_anchor") // seq ‖ hash of the last pruned audit entry

	allBuckets = [][]byte{bucketMeta, bucketGrants, bucketGrantIndex, bucketPIN, bucketAudit}
)

var errBadRecord = errors.New("bad record")

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// grantEntry is what the hub keeps in memory about an imported grant: enough
// to count, find PIN users, purge expired grants and apply revocations,
// without the signed bytes (those stay in the store for CheckPIN).
type grantEntry struct {
	id, signer, holder wire.ID
	issued, notBefore  int64 // Unix seconds
	notAfter           int64 // Unix seconds, 0: none
	hasPIN, trustedTm  bool
	role               wire.Role
	name               string
}

const grantRecordVersion = 1

func (g *grantEntry) marshal() []byte {
	b := make([]byte, 0, 64+len(g.role)+len(g.name))
	b = append(b, grantRecordVersion)
	b = append(b, g.signer[:]...)
	b = append(b, g.holder[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(g.issued))
	b = binary.BigEndian.AppendUint64(b, uint64(g.notBefore))
	b = binary.BigEndian.AppendUint64(b, uint64(g.notAfter))
	var flags byte
	if g.hasPIN {
		flags |= 1
	}
	if g.trustedTm {
		flags |= 2
	}
	b = append(b, flags, byte(len(g.role)))
	b = append(b, g.role...)
	b = append(b, byte(len(g.name)))
	return append(b, g.name...)
}

func unmarshalGrantEntry(id, b []byte) (*grantEntry, error) {
	const fixed = 1 + 16 + 16 + 8 + 8 + 8 + 1
	if len(id) != wire.IDSize || len(b) < fixed+2 || b[0] != grantRecordVersion {
		return nil, errBadRecord
	}
	g := &grantEntry{id: wire.IDFrom(id)}
	copy(g.signer[:], b[1:17])
	copy(g.holder[:], b[17:33])
	g.issued = int64(binary.BigEndian.Uint64(b[33:41]))
	g.notBefore = int64(binary.BigEndian.Uint64(b[41:49]))
	g.notAfter = int64(binary.BigEndian.Uint64(b[49:57]))
	g.hasPIN, g.trustedTm = b[57]&1 != 0, b[57]&2 != 0
	rest := b[fixed:]
	role, rest, ok := lenPrefixed(rest)
	if !ok {
		return nil, errBadRecord
	}
	name, rest, ok := lenPrefixed(rest)
	if !ok || len(rest) != 0 {
		return nil, errBadRecord
	}
	g.role, g.name = wire.Role(role), string(name)
	return g, nil
}

func lenPrefixed(b []byte) (val, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n], b[1+n:], true
}

func entryOf(g *wire.Grant, signer wire.ID) *grantEntry {
	hk, _ := g.HolderKey() // validated when parsed
	holder, _ := wire.KeyIDOf(hk)
	return &grantEntry{
		id: wire.IDFrom(g.ID), signer: signer, holder: holder,
		issued: g.IssuedAt, notBefore: g.NotBefore, notAfter: g.NotAfter,
		hasPIN: g.PIN != nil, trustedTm: g.RequiresTrustedTime,
		role: g.Role, name: g.Name,
	}
}

// pinRecord is one user's run of wrong PIN entries.
type pinRecord struct {
	failures    uint32
	lockedUntil int64 // trusted time, Unix ns; 0: not locked
}

func (p pinRecord) marshal() []byte {
	b := binary.BigEndian.AppendUint32(nil, p.failures)
	return binary.BigEndian.AppendUint64(b, uint64(p.lockedUntil))
}

func unmarshalPINRecord(b []byte) (pinRecord, error) {
	if len(b) != 12 {
		return pinRecord{}, errBadRecord
	}
	return pinRecord{failures: binary.BigEndian.Uint32(b[:4]), lockedUntil: int64(binary.BigEndian.Uint64(b[4:]))}, nil
}

// timeRecord encodes a time and a source ("ntp", "signed", "") for the meta
// bucket.
func timeRecord(t time.Time, src string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())), src...)
}

func parseTimeRecord(b []byte) (time.Time, string, error) {
	if len(b) < 8 {
		return time.Time{}, "", fmt.Errorf("%w: %d bytes", errBadRecord, len(b))
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))).UTC(), string(b[8:]), nil
}
