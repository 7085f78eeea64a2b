package canbus

import (
	"context"
	"errors"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.einride.tech/can"
)

const simDBC = "../../deploy/vehicle/simcar.dbc"

// The hub's signals for the simulated car (deploy/vehicle/edgeagent.vehicle.toml).
var (
	hubCommands = []string{"LockCmdFL", "LockCmdFR", "LockCmdRL", "LockCmdRR", "TrunkRelease", "ChargeCmd", "DriveAllowed", "SpeedLimit"}
	hubStatus   = []string{"LockedFL", "LockedFR", "LockedRL", "LockedRR", "AjarFL", "AjarFR", "AjarRL", "AjarRR", "Ignition", "ChargeLocked"}
)

func loadSim(t testing.TB) *DB {
	t.Helper()
	db, err := Load(simDBC, hubCommands, hubStatus)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestEncodeCommandsPerTheDBC(t *testing.T) {
	db := loadSim(t)
	frames, err := db.Encode(map[string]float64{"LockCmdFL": 2, "LockCmdRR": 1, "DriveAllowed": 1, "SpeedLimit": 40})
	if err != nil {
		t.Fatal(err)
	}
	want := []can.Frame{
		{ID: 512, Length: 8, Data: can.Data{0b01_00_00_10}},
		{ID: 513, Length: 8, Data: can.Data{1, 40}},
	}
	if !reflect.DeepEqual(frames, want) {
		t.Fatalf("frames\n got %v\nwant %v", frames, want)
	}
	if _, err := db.Encode(map[string]float64{"Horn": 1}); !errors.Is(err, ErrUnknownSignal) || !strings.Contains(err.Error(), `"Horn"`) {
		t.Errorf("unknown signal: %v", err)
	}
}

func TestDecodeStatusPerTheDBC(t *testing.T) {
	db := loadSim(t)
	// FL unlocked, the rest locked; FR ajar; ignition on; counter 7.
	f := can.Frame{ID: 768, Length: 8, Data: can.Data{0b1110, 0b0010, 0b001, 7}}
	got, ok := db.Decode(f)
	want := map[string]float64{"LockedFL": 0, "LockedFR": 1, "LockedRL": 1, "LockedRR": 1, "AjarFL": 0, "AjarFR": 1,
		"AjarRL": 0, "AjarRR": 0, "Ignition": 1, "ChargeLocked": 0}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode = %v, %v\nwant %v", got, ok, want)
	}
	for name, bad := range map[string]can.Frame{
		"other id":              {ID: 769, Length: 8},
		"short":                 {ID: 768, Length: 4},
		"extended":              {ID: 768, Length: 8, IsExtended: true},
		"remote":                {ID: 768, Length: 8, IsRemote: true},
		"command, not a status": {ID: 512, Length: 8},
	} {
		if v, ok := db.Decode(bad); ok {
			t.Errorf("%s frame decoded: %v", name, v)
		}
	}
}

func TestWrongDBCNamesFileAndSignal(t *testing.T) {
	data, err := os.ReadFile(simDBC)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		data     string
		commands []string
		want     string
	}{
		{"missing signal", string(data), []string{"LockCmdFrontLeft"}, `wrong.dbc: no signal "LockCmdFrontLeft" (it has: AjarFL,`},
		{"not a DBC", "BO_ 1 M 8 X\n", nil, "wrong.dbc:1:"},
		{"long message", "VERSION \"\"\nBO_ 1 Big: 64 X\n SG_ A : 0|8@1+ (1,0) [0|1] \"\" Y\n", nil, "message Big is 64 bytes"},
		{"signal past the end", "VERSION \"\"\nBO_ 1 M: 1 X\n SG_ A : 4|8@1+ (1,0) [0|1] \"\" Y\n", nil, "signal A does not fit message M"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("wrong.dbc", []byte(tc.data), tc.commands, nil)
			if !errors.Is(err, ErrDBC) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrDBC containing %q", err, tc.want)
			}
		})
	}
	if _, err := Load("no/such.dbc", nil, nil); !errors.Is(err, ErrDBC) || !strings.Contains(err.Error(), "no/such.dbc") {
		t.Errorf("missing file: %v", err)
	}
}

// newSimPair is the hub's Bus and a BodySim on the two ends of a pipe
// carrying SocketCAN frames.
func newSimPair(t testing.TB) (*Bus, *BodySim) {
	a, b := net.Pipe()
	data, err := os.ReadFile(simDBC)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := NewBodySim(b, simDBC, data, hubCommands, hubStatus)
	if err != nil {
		t.Fatal(err)
	}
	sim.Locks = map[string]string{"LockCmdFL": "LockedFL", "LockCmdFR": "LockedFR", "LockCmdRL": "LockedRL", "LockCmdRR": "LockedRR", "ChargeCmd": "ChargeLocked"}
	go sim.ReadCommands()
	t.Cleanup(func() { a.Close(); b.Close() })
	return New(a, loadSim(t)), sim
}

func TestBusRoundTripWithBodySim(t *testing.T) {
	bus, sim := newSimPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan map[string]float64, 1)
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx, func(v map[string]float64) { got <- v }) }()

	_, seen := sim.Commands()
	if err := bus.Send(map[string]float64{"LockCmdFR": 2}); err != nil {
		t.Fatal(err)
	}
	<-seen
	if sim.Get("LockedFR") != 0 {
		t.Fatal("the simulated controller did not unlock FR")
	}
	sim.Set("Ignition", 1)
	if err := sim.SendStatus(ctx); err != nil {
		t.Fatal(err)
	}
	v := <-got
	if v["Ignition"] != 1 || v["LockedFR"] != 0 {
		t.Fatalf("status = %v", v)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v", err)
	}
	if s := bus.Stats(); s.Sent != 1 || s.Status != 1 || s.Frames != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestSocketCANFrameCoding(t *testing.T) {
	for _, f := range []can.Frame{
		{ID: 0x300, Length: 8, Data: can.Data{1, 2, 3, 4, 5, 6, 7, 8}},
		{ID: 0x1abcdef0, Length: 2, IsExtended: true, Data: can.Data{9, 9}},
		{ID: 0x7ff, Length: 0, IsRemote: true},
	} {
		got, err := unmarshalFrame(marshalFrame(f))
		if err != nil || got != f {
			t.Errorf("%v -> %v, %v", f, got, err)
		}
	}
	b := marshalFrame(can.Frame{ID: 1, Length: 8})
	b[3] |= 0x20 // CAN_ERR_FLAG
	if _, err := unmarshalFrame(b); !errors.Is(err, errFrame) {
		t.Errorf("error frame decoded: %v", err)
	}
	b = marshalFrame(can.Frame{ID: 1, Length: 8})
	b[4] = 9
	if _, err := unmarshalFrame(b); !errors.Is(err, errFrame) {
		t.Errorf("length 9 decoded: %v", err)
	}
}

// The kernel's filter passes a frame when (can_id & mask) == (id & mask):
// the status frame passes; other ids, and the status id extended, remote
// or as an error frame, do not (the VM's garbage flood on vcan0 raised
// bus_silent in the agent before its socket filtered).
func TestDialFiltersOnlyStatusMessages(t *testing.T) {
	fs := loadSim(t).filters()
	pass := func(canID uint32) bool {
		for _, f := range fs {
			if canID&f.mask == f.id&f.mask {
				return true
			}
		}
		return false
	}
	if !pass(0x300) {
		t.Fatalf("filters %+v drop the status frame 0x300", fs)
	}
	for _, id := range []uint32{0x200, 0x201, 0x301, 0x700, 0x300 | flagEFF, 0x300 | flagRTR, 0x300 | flagEFF | 1<<11, 0x300 | flagERR | flagEFF} {
		if pass(id) {
			t.Errorf("filters %+v pass frame %#x", fs, id)
		}
	}
}
