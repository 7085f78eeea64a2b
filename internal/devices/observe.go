package devices

import "time"

// ActionTimer is told how long an action took to move its outputs: from
// Do's call to the device's pins set, before the journal's record. It runs
// on the caller's goroutine and must be quick.
type ActionTimer func(kind, action string, took time.Duration)

// ObserveActions sets the timer every successful action reports to (the
// agent's GPIO action latency metric); nil stops it. Safe at any time.
func (h *Hub) ObserveActions(t ActionTimer) {
	if t == nil {
		h.timed.Store(nil)
		return
	}
	h.timed.Store(&t)
}
