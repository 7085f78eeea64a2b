package devices_test

import (
	"fmt"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/devices"
)

type printJournal struct{}

func (printJournal) Record(device string, _ []byte, events []devices.Event) error {
	for _, e := range events {
		fmt.Println("  recorded:", e.Class, device, e.Type, e.Data)
	}
	return nil
}

// A hub on simulated hardware and a manual clock: an unlock is a pulse that
// relocks by itself.
func Example() {
	// Options start from the package's defaults; a config loader maps its
	// keys onto them the same way.
	front := devices.DefaultLockOpts
	front.ID, front.Relay, front.Fail = "front", "GPIO17", devices.FailSecure
	front.RelockAfter = 5 * time.Second
	hall := devices.DefaultSwitchOpts
	hall.ID, hall.Relay = "hall", "GPIO5"
	cfg := devices.Config{Locks: []devices.LockOpts{front}, Switches: []devices.SwitchOpts{hall}}

	clk := clocktest.New(time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC))
	opts := devices.NewSim(clk).Options()
	opts.Clock = clk
	hub, err := devices.New(cfg, opts)
	if err != nil {
		panic(err)
	}
	hub.Start(printJournal{}, nil)

	st, _ := hub.Do("hall", "on", "")
	fmt.Println(st.ID, st.State)
	st, _ = hub.Do("front", "unlock", "")
	fmt.Println(st.ID, st.State)
	clk.Advance(5 * time.Second)
	st, _ = hub.Get("front")
	fmt.Println(st.ID, st.State)
	_, err = hub.Do("front", "open", "")
	fmt.Println(err)

	// Output:
	//   recorded: state hall switched_on map[]
	// hall on
	//   recorded: audit front unlocked map[by:command]
	// front unlocked
	//   recorded: audit front locked map[reason:relock_after]
	// front locked
	// devices: lock "front": action "open": unknown action (valid: lock, unlock)
}
