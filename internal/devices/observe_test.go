package devices

import (
	"testing"
	"time"
)

// Every action that moved outputs is timed once, with its kind; a refused
// one is not (it moved nothing).
func TestObserveActions(t *testing.T) {
	r := started(t, baseConfig())
	var got []string
	r.h.ObserveActions(func(kind, action string, took time.Duration) {
		if took < 0 {
			t.Errorf("%s %s took %s", kind, action, took)
		}
		got = append(got, kind+" "+action)
	})
	for _, a := range [][2]string{{"hall", "on"}, {"front", "unlock"}, {"blind", "open"}} {
		if _, err := r.h.Do(a[0], a[1], ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.h.Do("hall", "dance", ""); err == nil {
		t.Fatal("hall dance accepted")
	}
	r.h.ObserveActions(nil)
	if _, err := r.h.Do("hall", "off", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"switch on", "lock unlock", "cover open"}
	if len(got) != len(want) {
		t.Fatalf("timed %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("timed %v, want %v", got, want)
		}
	}
}
