package outbox

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

var testInstance = bytes.Repeat([]byte{0xab}, 16)

func testEvent() store.Event {
	return store.Event{Seq: 42, Boot: 3, HLC: hlc.New(1767225600123, 4), Time: time.UnixMilli(1767225600123).UTC(), Class: store.ClassAudit,
		Device: "front-door", Type: "unlocked", Data: map[string]any{"by": "command", "n": uint64(2)}}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	e := NewEnvelope("home-1", testInstance, testEvent())
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != 42 || got.Boot != 3 || got.Type != "unlocked" || got.Device != "front-door" || got.Body["by"] != "command" ||
		got.Time != 1767225600123 || hlc.Timestamp(got.HLC).Logical() != 4 || !bytes.Equal(got.ID, EventID(testInstance, 42)) {
		t.Fatalf("decoded %+v", got)
	}
}

func TestEventIDsAreStableAndDistinct(t *testing.T) {
	other := bytes.Repeat([]byte{0xcd}, 16)
	a, b := EventID(testInstance, 1), EventID(testInstance, 1)
	if !bytes.Equal(a, b) || len(a) != 16 {
		t.Fatal("id not stable")
	}
	seen := map[string]bool{}
	for _, inst := range [][]byte{testInstance, other} {
		for seq := uint64(1); seq <= 1000; seq++ {
			id := string(EventID(inst, seq))
			if seen[id] {
				t.Fatalf("id collision at %x seq %d", inst, seq)
			}
			seen[id] = true
		}
	}
}

func TestOversizedBodyIsTruncated(t *testing.T) {
	ev := testEvent()
	ev.Data = map[string]any{"blob": strings.Repeat("x", MaxPayload)}
	b, err := NewEnvelope("home-1", testInstance, ev).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEnvelope(b)
	if err != nil || got.Body["truncated"] != true || len(b) > MaxPayload {
		t.Fatalf("%d bytes, %+v, %v", len(b), got, err)
	}
}

func TestDecodeEnvelopeRefuses(t *testing.T) {
	good := NewEnvelope("home-1", testInstance, testEvent())
	for _, tc := range []struct {
		name string
		edit func(e *Envelope)
		want string
	}{
		{"wrong id", func(e *Envelope) { e.ID = EventID(testInstance, 43) }, "is not the id"},
		{"short instance", func(e *Envelope) { e.Instance = e.Instance[:8] }, "instance"},
		{"seq 0", func(e *Envelope) { e.Seq = 0; e.ID = EventID(e.Instance, 0) }, "seq 0"},
		{"class", func(e *Envelope) { e.Class = "gossip" }, "class"},
		{"type", func(e *Envelope) { e.Type = "" }, "empty type"},
		{"site", func(e *Envelope) { e.Site = "" }, "site"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := *good
			tc.edit(&e)
			b, err := wire.Marshal(&e)
			if err != nil {
				t.Fatal(err)
			}
			_, err = DecodeEnvelope(b)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := DecodeEnvelope(make([]byte, MaxPayload+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}

// FuzzDecodeEnvelope feeds the cloud-side decoder arbitrary bytes: whatever
// decodes must re-encode to something that decodes to the same value.
func FuzzDecodeEnvelope(f *testing.F) {
	// Real envelopes: an audit event with a body, a state event without
	// one, a telemetry event with a nested body.
	ev := testEvent()
	for _, e := range []store.Event{
		ev,
		{Seq: 1, Boot: 1, Class: store.ClassState, Device: "hall-light", Type: "on"},
		{Seq: 1 << 40, Boot: 9, Class: store.ClassTelemetry, Type: "temperature", Time: time.Unix(1, 0),
			Data: map[string]any{"t": 21.5, "alarms": []any{"sensor"}, "m": map[string]any{"k": int64(-1)}}},
	} {
		b, err := NewEnvelope("home-1", testInstance, e).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, h := range []string{
		"",                     // nothing
		"a0",                   // empty map
		"bf",                   // indefinite map, truncated
		"a101",                 // key without value
		"a1016a",               // truncated text
		"a1fb7ff8000000000000", // float key
		"c1a0",                 // a tag around a map
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}

	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEnvelope(b)
		if err != nil {
			return
		}
		enc, err := wire.Marshal(e)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		back, err := DecodeEnvelope(enc)
		if err != nil {
			t.Fatalf("decoding our own encoding: %v\n%x", err, enc)
		}
		enc2, err := wire.Marshal(back)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %x vs %x (%v)", enc, enc2, err)
		}
	})
}

func ExampleEventID() {
	instance, _ := ParseInstance("000102030405060708090a0b0c0d0e0f")
	fmt.Printf("%x\n", EventID(instance, 1))
	// Output:
	// f602264750565526d3efc67b197c2ff9
}

// The envelope of an event is a function of the stored record: sent before
// a restart and again after it (a PUBACK lost with the connection), with
// the wall clock set back meanwhile, the bytes are the same. The drain used
// to stamp the HLC when it sent, so a resend carried another one.
func TestResendIsByteIdenticalAcrossARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	open := func() *store.Store {
		st, _, err := store.Open(path, store.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	envelope := func(st *store.Store) []byte {
		evs, err := st.Events(0, 1)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events %v, %v", evs, err)
		}
		inst, err := ParseInstance(st.Instance())
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewEnvelope("home-1", inst, evs[0]).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	st := open()
	if err := st.Record("front-door", []byte("unlocked"), []store.Event{{Class: store.ClassAudit, Type: "unlocked"}}); err != nil {
		t.Fatal(err)
	}
	first := envelope(st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-10 * time.Minute)
	st = open()
	defer st.Close()
	if _, err := st.HLC().Now(); err != nil { // the clock moves on meanwhile
		t.Fatal(err)
	}
	if again := envelope(st); !bytes.Equal(first, again) {
		t.Fatalf("resent envelope differs:\n%x\n%x", first, again)
	}
}

// The envelope is written out by hand for speed; the cloud reads it as
// the general encoder writes it. Every head length (the 23/24, 255/256,
// 65535/65536 and 2^32 edges), negative and zero times, empty and nil
// fields, and bodies of every kind encode byte for byte as wire.Marshal.
func TestEnvelopeEncodingIsWires(t *testing.T) {
	edges := []uint64{0, 1, 23, 24, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, 1<<64 - 1}
	var envs []Envelope
	for _, v := range edges {
		envs = append(envs, Envelope{Site: "home-1", Instance: testInstance, Boot: v, Seq: v, ID: EventID(testInstance, v), HLC: v,
			Time: int64(v >> 1), Type: strings.Repeat("t", int(v%300)), Class: "audit"})
		envs = append(envs, Envelope{Site: strings.Repeat("s", int(v%70000)), Time: -int64(v >> 1), Type: "x", Class: "state",
			Device: strings.Repeat("d", int(v%300))})
	}
	envs = append(envs,
		Envelope{}, // nil instance and id: null
		Envelope{Instance: []byte{}, ID: []byte{}}, // empty, not null
		Envelope{Time: -1 << 63, Body: map[string]any{}},
		Envelope{Site: "héllo", Body: map[string]any{"t": 21.5, "big": 1e300, "half": 0.5, "n": int64(-7), "u": uint64(1 << 40),
			"s": "x", "b": []byte{1}, "ok": true, "nil": nil, "list": []any{"a", 1.0}, "m": map[string]any{"k": "v", "a": 1.25}}},
		*NewEnvelope("home-1", testInstance, testEvent()),
	)
	for i, e := range envs {
		want, werr := wire.Marshal(&e)
		got, gerr := e.encode()
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("envelope %d %+v:\nhand    %x (%v)\nwire    %x (%v)", i, e, got, gerr, want, werr)
		}
	}
}

// FuzzEnvelopeEncoding holds the hand-written encoder to wire.Marshal on
// arbitrary fields and bodies (any CBOR map the wire decoder accepts).
func FuzzEnvelopeEncoding(f *testing.F) {
	// An audit event with a body; edge heads and a negative time, no body.
	b, err := wire.Marshal(testEvent().Data)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("home-1", testInstance, uint64(3), uint64(42), uint64(1<<50), int64(1767225600123), "unlocked", "audit", "front-door", b)
	f.Add("", []byte{}, uint64(24), uint64(1<<32), uint64(65536), int64(-25), "", "state", "", []byte(nil))
	f.Fuzz(func(t *testing.T, site string, instance []byte, boot, seq, hlc uint64, tm int64, typ, class, device string, body []byte) {
		e := Envelope{Site: site, Instance: instance, Boot: boot, Seq: seq, ID: EventID(instance, seq), HLC: hlc, Time: tm,
			Type: typ, Class: class, Device: device}
		if len(body) > 0 {
			if err := wire.Unmarshal(body, &e.Body); err != nil {
				e.Body = nil
			}
		}
		want, werr := wire.Marshal(&e)
		got, gerr := e.encode()
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("hand %x (%v)\nwire %x (%v)", got, gerr, want, werr)
		}
	})
}
