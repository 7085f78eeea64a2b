package localapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
)

// The tests in this file need one collaborator to answer what the real one
// rarely does (a journal that failed, a store error, a keeper that could
// not record): each gets a fake, and the rest of the agent is not built.

func fakeAdmin(hub *fakeHub, st *fakeAdminStore, k *fakeKeeper) *Admin {
	return &Admin{Hub: hub, Store: st, Keeper: k, Version: "test", Site: "t", Started: time.Now(), Log: slog.New(slog.DiscardHandler)}
}

// call runs one request through h and decodes the error body, if any.
func call(t *testing.T, h http.Handler, method, path, body string) (*httptest.ResponseRecorder, Error) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	var eb errorBody
	if rec.Code >= 400 {
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil {
			t.Fatalf("%s %s: %d with a body that is not an error: %s", method, path, rec.Code, rec.Body)
		}
	}
	return rec, eb.Error
}

var doorAndLight = []devices.State{{ID: "door", Kind: "lock", State: "locked"}, {ID: "light", Kind: "switch", State: "off"}}

// Every error the hub can answer maps to its own status and code, also
// when wrapped: a script tells "not recorded" (done, not durable) from
// "journal behind" (nothing moved) from a refusal.
func TestAdminDeviceErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{devices.ErrUnknownAction, 400, "unknown_action"},
		{devices.ErrBadValue, 400, "bad_value"},
		{devices.ErrNotSimulated, 409, "not_simulated"},
		{devices.ErrNotRecorded, 503, "not_recorded"},
		{devices.ErrJournalBehind, 503, "journal_behind"},
		{devices.ErrShutdown, 503, "shutting_down"},
		{devices.ErrVehicleUnknown, 409, "vehicle_unknown"},
		{devices.ErrNodeUnreachable, 503, "node_unreachable"},
		{errors.New("a pin driver failed"), 500, "internal"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			hub := &fakeHub{states: doorAndLight, doErr: fmt.Errorf("light on: %w", tc.err)}
			rec, e := call(t, fakeAdmin(hub, &fakeAdminStore{}, &fakeKeeper{}).Handler(), "POST", "/v1/devices/light/action", `{"action":"on"}`)
			if rec.Code != tc.status || e.Code != tc.code || !strings.Contains(e.Message, tc.err.Error()) {
				t.Errorf("hub answered %v: got %d %+v, want %d %s with the hub's message", tc.err, rec.Code, e, tc.status, tc.code)
			}
			if got := hub.calls(); !slices.Equal(got, []string{"light on "}) {
				t.Errorf("hub calls %q, want one", got)
			}
		})
	}
	hub := &fakeHub{states: doorAndLight}
	rec, e := call(t, fakeAdmin(hub, &fakeAdminStore{}, &fakeKeeper{}).Handler(), "POST", "/v1/devices/garage/action", `{"action":"on"}`)
	if rec.Code != 404 || e.Code != "unknown_device" || len(hub.calls()) != 0 {
		t.Errorf("unknown device: %d %+v, calls %q", rec.Code, e, hub.calls())
	}
}

// A store that cannot read its log is a 500 naming the store, not an
// empty list that would read as "nothing happened"; an empty log is [].
func TestAdminEventsStoreError(t *testing.T) {
	h := fakeAdmin(&fakeHub{}, &fakeAdminStore{eventsErr: errors.New("read state.db: input/output error")}, &fakeKeeper{}).Handler()
	rec, e := call(t, h, "GET", "/v1/events", "")
	if rec.Code != 500 || e.Code != "store_error" || !strings.Contains(e.Message, "input/output error") {
		t.Errorf("failing store: %d %+v", rec.Code, e)
	}
	rec, _ = call(t, fakeAdmin(&fakeHub{}, &fakeAdminStore{}, &fakeKeeper{}).Handler(), "GET", "/v1/events", "")
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("empty log: %d %s, want []", rec.Code, rec.Body)
	}
}

// The mailbox tells a refusal (422, the reason as the code) from a store
// that could not record the credential (503: try again), on both APIs'
// one path.
func TestImportCredentialAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		k      *fakeKeeper
		status int
		code   string
	}{
		{"refused", &fakeKeeper{importErr: &localauth.RefusedError{Reason: localauth.ReasonRevoked}, importRes: localauth.ImportResult{Kind: "grant", Reason: localauth.ReasonRevoked}}, 422, string(localauth.ReasonRevoked)},
		{"not recorded", &fakeKeeper{importErr: errors.New("commit: disk full")}, 503, "store_error"},
		{"accepted", &fakeKeeper{importRes: localauth.ImportResult{Kind: "grant", Accepted: true, Reason: localauth.ReasonAccepted}}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, e := call(t, fakeAdmin(&fakeHub{}, &fakeAdminStore{}, tc.k).Handler(), "POST", "/v1/credentials", "signed bytes")
			if rec.Code != tc.status || e.Code != tc.code {
				t.Errorf("got %d %+v (%s), want %d %q", rec.Code, e, rec.Body, tc.status, tc.code)
			}
		})
	}
}

// serveFake serves a on a unix socket for the real client.
func serveFake(t *testing.T, a *Admin) *AdminClient {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return NewAdminClient(sock)
}

// The status is one typed struct for the agent and the CLI: the client
// reads the cloud link's and the LAN API's parts as their own types, the
// JSON keys stay the ones the README and scripts read, and a part that is
// not running is absent (not null, not an empty object).
func TestAdminStatusTyped(t *testing.T) {
	a := fakeAdmin(&fakeHub{states: doorAndLight, journalErr: errors.New("commit: disk full")}, &fakeAdminStore{}, &fakeKeeper{})
	c := serveFake(t, a)
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Cloud != nil || st.LAN != nil || st.Devices != 2 || st.JournalError != "commit: disk full" {
		t.Fatalf("status without cloud and LAN: %+v", st)
	}
	raw := rawStatus(t, a)
	for _, k := range []string{"cloud", "lan"} {
		if _, ok := raw[k]; ok {
			t.Errorf("status JSON has %q although that part is not running: %v", k, raw[k])
		}
	}

	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a.Cloud = func() cloud.Status {
		return cloud.Status{Status: mqttlink.Status{Broker: "tcp://broker:1883", Since: since, LastError: "connection refused", Attempts: 4},
			Topic: "edgeagent", Pending: map[string]int{"audit": 3}, PendingTotal: 3, Warnings: []string{"audit outbox full"}}
	}
	a.LAN = func() LANInfo { return LANInfo{Listen: "127.0.0.1:8443", Fingerprint: "ab:cd", Sessions: 2} }
	st, err = c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Cloud == nil || st.Cloud.Broker != "tcp://broker:1883" || st.Cloud.Connected || !st.Cloud.Since.Equal(since) ||
		st.Cloud.PendingTotal != 3 || st.Cloud.Pending["audit"] != 3 || st.Cloud.Attempts != 4 || len(st.Cloud.Warnings) != 1 {
		t.Errorf("cloud part read back: %+v", st.Cloud)
	}
	if st.LAN == nil || *st.LAN != (LANInfo{Listen: "127.0.0.1:8443", Fingerprint: "ab:cd", Sessions: 2}) {
		t.Errorf("lan part read back: %+v", st.LAN)
	}
	raw = rawStatus(t, a)
	cl, _ := raw["cloud"].(map[string]any)
	lan, _ := raw["lan"].(map[string]any)
	for _, k := range []string{"broker", "connected", "since", "last_error", "attempts", "topic_prefix", "pending", "pending_total", "warnings", "command_ids"} {
		if _, ok := cl[k]; !ok {
			t.Errorf("status JSON cloud part has no %q: %v", k, cl)
		}
	}
	for _, k := range []string{"listen", "fingerprint", "sessions"} {
		if _, ok := lan[k]; !ok {
			t.Errorf("status JSON lan part has no %q: %v", k, lan)
		}
	}
}

// rawStatus is GET /v1/status as untyped JSON: what a script sees.
func rawStatus(t *testing.T, a *Admin) map[string]any {
	t.Helper()
	rec, _ := call(t, a.Handler(), "GET", "/v1/status", "")
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("status %s: %v", rec.Body, err)
	}
	return m
}

// fakeLAN is a LAN API over a fake hub and keeper; its own sessions and
// certificate on a real store and security-state directory.
func fakeLAN(t *testing.T, hub *fakeHub, k *fakeKeeper) http.Handler {
	t.Helper()
	dir := t.TempDir()
	st, _, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLAN(LANOptions{Hub: hub, Store: st, SecState: sec, Keeper: k, Site: "t", Listen: "127.0.0.1:0", RequestsPerSecond: -1, LoginsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	return l.Handler()
}

// A phone-key action moves the device only when the Keeper granted it and
// recorded the decision: a decision that says granted but comes with an
// error (the audit entry was not written) moves nothing, nor does a
// refusal; a grant whose device action then fails says so.
func TestLANKeyActionMovesOnlyOnRecordedGrant(t *testing.T) {
	granted := localauth.Decision{Granted: true, Reason: localauth.ReasonGranted, Name: "alice", AuditSeq: 7}
	for _, tc := range []struct {
		name     string
		decision localauth.Decision
		err      error
		doErr    error
		status   int
		code     string
		moved    bool
	}{
		{"granted, not recorded", granted, errors.New("audit: commit: disk full"), nil, 503, "audit_failed", false},
		{"refused", localauth.Decision{Reason: localauth.ReasonRevoked, Name: "alice", AuditSeq: 8}, nil, nil, 403, string(localauth.ReasonRevoked), false},
		{"granted", granted, nil, nil, 200, "", true},
		{"granted, device not recorded", granted, nil, devices.ErrNotRecorded, 503, "not_recorded", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := &fakeHub{states: doorAndLight, doErr: tc.doErr}
			var asked []localauth.Request
			k := &fakeKeeper{decide: func(r localauth.Request) (localauth.Decision, error) {
				asked = append(asked, r)
				return tc.decision, tc.err
			}}
			body, _ := json.Marshal(LANActionRequest{Action: "unlock", Chain: [][]byte{[]byte("grant")}, Proof: []byte("proof")})
			rec, e := call(t, fakeLAN(t, hub, k), "POST", "/api/v1/devices/door/action", string(body))
			if rec.Code != tc.status || e.Code != tc.code {
				t.Errorf("got %d %+v (%s), want %d %q", rec.Code, e, rec.Body, tc.status, tc.code)
			}
			if len(asked) != 1 || asked[0].Device != "door" || asked[0].Action != "unlock" || !bytes.Equal(asked[0].Proof, []byte("proof")) {
				t.Errorf("keeper asked %+v, want one decision on door unlock with the proof", asked)
			}
			if moved := len(hub.calls()) > 0; moved != tc.moved {
				t.Errorf("hub calls %q, want moved=%v", hub.calls(), tc.moved)
			}
		})
	}
}
