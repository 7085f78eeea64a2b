package canbus

import (
	"os"
	"testing"

	"go.einride.tech/can"
)

// FuzzDecode feeds arbitrary frames, as anything on the bus may send:
// Decode never panics, and what it accepts is a status message of the DBC
// with its exact length, whose values re-encode to the same data.
func FuzzDecode(f *testing.F) {
	db := loadSim(f)
	f.Add(uint32(768), uint8(8), []byte{0b1110, 0b0010, 1, 7, 0, 0, 0, 0}, false, false) // a status frame
	f.Add(uint32(768), uint8(4), []byte{1, 2, 3, 4}, false, false)                       // short
	f.Add(uint32(512), uint8(8), []byte{2, 0, 0, 0, 0, 0, 0, 0}, false, false)           // a command, not a status
	f.Add(uint32(768), uint8(8), make([]byte, 8), true, false)                           // extended id
	f.Fuzz(func(t *testing.T, id uint32, n uint8, data []byte, ext, remote bool) {
		fr := can.Frame{ID: id, Length: n, IsExtended: ext, IsRemote: remote}
		copy(fr.Data[:], data)
		v, ok := db.Decode(fr)
		if !ok {
			return
		}
		if id != 768 || n != 8 || ext || remote {
			t.Fatalf("accepted %v", fr)
		}
		back, err := db.Encode(v)
		if err != nil || len(back) != 1 {
			t.Fatalf("re-encode %v: %v", v, err)
		}
		mask := can.Data{0x0f, 0x0f, 0x03} // the bits the hub's status signals use
		for i := range fr.Data {
			if back[0].Data[i] != fr.Data[i]&mask[i] {
				t.Fatalf("round trip %v -> %v -> %v", fr.Data, v, back[0].Data)
			}
		}
	})
}

// FuzzParse feeds arbitrary DBC text (an integrator's file): Parse never
// panics and never accepts a signal that does not fit its message.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(simDBC)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add("BO_ 1 M: 1 X\n SG_ A : 4|8@1+ (1,0) [0|1] \"\" Y\n")
	f.Add("BO_ 1 M: 8 X\n SG_ A : 0|64@0- (0.5,-3) [0|1] \"\" Y\n")
	f.Fuzz(func(t *testing.T, s string) {
		db, err := Parse("fuzz.dbc", []byte(s), nil, nil)
		if err != nil {
			return
		}
		for _, m := range db.byID {
			var fr can.Frame
			fr.Length = m.Length
			for _, sig := range m.Signals {
				sig.UnmarshalPhysical(fr.Data) // must not panic
			}
		}
	})
}
