package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// stop ends the agent with SIGTERM and waits for it: a clean stop, after
// which the audit head is in the security state.
func (a *proc) stop() {
	a.t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		a.t.Fatal(err)
	}
	<-a.done
}

// copyDataDir copies the agent's data dir (state.db and security/), as an
// investigator copies a seized hub's SD card.
func copyDataDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "copy")
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o700)
		case !d.Type().IsRegular():
			return nil // the admin socket
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// editAudit changes the audit buckets of a stopped hub's file directly.
func editAudit(t *testing.T, path string, edit func(audit, meta *bbolt.Bucket) error) {
	t.Helper()
	foldLog(t, path)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error {
		return edit(tx.Bucket([]byte("auth_audit")), tx.Bucket([]byte("auth_meta")))
	}); err != nil {
		t.Fatal(err)
	}
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// verifyFile runs `audit verify --file` on a copy and checks that the file's
// bytes are unchanged afterwards (forensics must not write to evidence).
func verifyFile(t *testing.T, args ...string) (string, int) {
	t.Helper()
	before, err := os.ReadFile(args[0])
	if err != nil {
		t.Fatal(err)
	}
	out, code := cli(t, "", append([]string{"audit", "verify", "--file"}, args...)...)
	after, err := os.ReadFile(args[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("audit verify --file changed %s: sha256 %x -> %x", args[0], sha256.Sum256(before), sha256.Sum256(after))
	}
	return out, code
}

// The attacks of issue 9 item 5, on a copy of a stopped hub's data dir
// through the binary: delete the newest entry; delete the oldest 6 and
// forge the anchor. Both used to pass `audit verify`.
func TestAuditVerifyFileFindsDeletedEntries(t *testing.T) {
	cfg, data := newSite(t)
	a := startAgent(t, cfg, data)
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("not a credential"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		if _, code := cli(t, "", "credentials", "import", garbage, "--data-dir", data); code != 1 {
			t.Fatalf("garbage import: exit %d", code)
		}
	}
	a.stop()

	clean := copyDataDir(t, data)
	if out, code := verifyFile(t, filepath.Join(clean, "state.db")); code != 0 || !strings.Contains(out, "audit chain intact: 8 entries") ||
		!strings.Contains(out, "security state head: seq 8") {
		t.Fatalf("untouched copy: exit %d\n%s", code, out)
	}

	newest := copyDataDir(t, data)
	editAudit(t, filepath.Join(newest, "state.db"), func(audit, _ *bbolt.Bucket) error { return audit.Delete(seqKey(8)) })
	out, code := verifyFile(t, filepath.Join(newest, "state.db"))
	if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "entry 8 deleted") {
		t.Errorf("newest entry deleted: exit %d\n%s", code, out)
	}
	// The security state may be anywhere the investigator put it.
	moved := filepath.Join(t.TempDir(), "evidence-security")
	if err := os.Rename(filepath.Join(newest, "security"), moved); err != nil {
		t.Fatal(err)
	}
	out, code = verifyFile(t, filepath.Join(newest, "state.db"), "--security-dir", moved)
	if code != 1 || !strings.Contains(out, "entry 8 deleted") {
		t.Errorf("newest entry deleted, --security-dir: exit %d\n%s", code, out)
	}

	forged := copyDataDir(t, data)
	editAudit(t, filepath.Join(forged, "state.db"), func(audit, meta *bbolt.Bucket) error {
		// The anchor claims the cloud acknowledged entries 1..6 ('c').
		anchor := append(append(seqKey(6), audit.Get(seqKey(6))[:32]...), 'c')
		for seq := uint64(1); seq <= 6; seq++ {
			if err := audit.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		return meta.Put([]byte("audit_anchor"), anchor)
	})
	out, code = verifyFile(t, filepath.Join(forged, "state.db"))
	if code != 1 || !strings.Contains(out, "entries 1..6") {
		t.Errorf("oldest 6 deleted and the anchor forged: exit %d\n%s", code, out)
	}
	// The store file alone: the events the cloud never acknowledged give
	// the anchor away.
	if err := os.RemoveAll(filepath.Join(forged, "security")); err != nil {
		t.Fatal(err)
	}
	out, code = verifyFile(t, filepath.Join(forged, "state.db"))
	if code != 1 || !strings.Contains(out, "forged") {
		t.Errorf("forged anchor, store file alone: exit %d\n%s", code, out)
	}

	// On the hub itself: the newest entry deleted, the next decision does
	// not reuse its seq, and the status says the log was truncated.
	editAudit(t, filepath.Join(data, "state.db"), func(audit, _ *bbolt.Bucket) error { return audit.Delete(seqKey(8)) })
	a = startAgent(t, cfg, data)
	st, err := a.client.Auth()
	if err != nil || !strings.Contains(st.Audit.Truncated, "entries 8..8 were deleted") {
		t.Errorf("status after truncation: %+v, %v", st.Audit, err)
	}
	if out := mustCLI(t, "", "status", "--data-dir", data); !strings.Contains(out, "TRUNCATED: audit entries 8..8 were deleted") {
		t.Errorf("edgeagent status after truncation:\n%s", out)
	}
	out, _ = cli(t, "", "credentials", "import", garbage, "--data-dir", data, "--json")
	var res []struct {
		AuditSeq uint64 `json:"audit_seq"`
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&res); err != nil || len(res) != 1 || res[0].AuditSeq != 9 {
		t.Fatalf("the decision after the deletion: %s (%v); want audit seq 9, not a reused 8", out, err)
	}
}
