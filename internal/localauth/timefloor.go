package localauth

import (
	"time"
)

// Anchor sources.
const (
	AnchorNTP    = "ntp"    // the kernel said its clock was NTP-synchronised
	AnchorSigned = "signed" // an authority-signed timestamp raised the floor
)

// trustedTime is the hub's idea of the time, which a Raspberry Pi (no
// real-time clock) cannot take from its wall clock: an operator, a broken
// NTP server or fake-hwclock after a long power cut can set that anywhere.
//
// The floor is a lower bound on the true time. It is raised by
//   - elapsed time between two readings of the clock: Go's time.Now carries
//     a monotonic reading, and Sub uses it, so setting the wall clock back
//     or forward changes nothing; a negative difference (a fake clock that
//     was Set back) is ignored rather than subtracted;
//   - authority-signed timestamps (grant and snapshot issued-at);
//   - the wall clock, when the kernel says it is NTP-synchronised.
//
// Nothing lowers it. An anchor is an outside confirmation of the time (NTP,
// or a signed timestamp that raised the floor); its age is how far the floor
// has moved since, which is elapsed time in this run. An anchor from before
// a restart has no known age (the power may have been off for a month), so
// it does not make time trusted; it is kept for the status page only.
type trustedTime struct {
	floor       time.Time // UTC, no monotonic reading
	last        time.Time // the clock at the last advance (with its monotonic reading)
	anchor      time.Time // the anchoring time value
	anchorSrc   string
	anchorFloor time.Time // the floor when the anchor was taken, in this run; zero: none yet
	ntp         bool      // the kernel's answer at the last advance
}

// advance moves the floor by the time elapsed since the last reading and,
// when the kernel clock is synchronised, up to it.
func (t *trustedTime) advance(now time.Time, ntpSynced bool) {
	if !t.last.IsZero() {
		if d := now.Sub(t.last); d > 0 {
			t.floor = t.floor.Add(d)
		}
	}
	t.last = now
	t.ntp = ntpSynced
	if ntpSynced {
		wall := now.Round(0).UTC()
		if wall.After(t.floor) {
			t.floor = wall
		}
		t.setAnchor(wall, AnchorNTP)
	}
}

// observe takes an authority-signed timestamp into account.
func (t *trustedTime) observe(ts time.Time) {
	if ts.After(t.floor) {
		t.floor = ts.UTC()
		t.setAnchor(t.floor, AnchorSigned)
	}
}

// raise lifts the floor to a time this hub itself recorded earlier (a
// persisted floor, an audit entry, a nonce); it is not an anchor.
func (t *trustedTime) raise(ts time.Time) {
	if ts.After(t.floor) {
		t.floor = ts.UTC()
	}
}

func (t *trustedTime) setAnchor(v time.Time, src string) {
	t.anchor, t.anchorSrc, t.anchorFloor = v, src, t.floor
}

// TimeStatus is the trusted-time state for the status page.
type TimeStatus struct {
	Floor        time.Time     `json:"floor"`                // lower bound on the true time
	LastAnchor   time.Time     `json:"last_anchor,omitzero"` // the last outside confirmation (maybe from before a restart)
	AnchorSource string        `json:"anchor_source,omitempty"`
	AnchorAge    time.Duration `json:"anchor_age"` // -1 when there is no anchor in this run
	Bound        time.Duration `json:"bound"`      // requires_trusted_time grants need AnchorAge <= Bound
	Trusted      bool          `json:"trusted"`
	NTPSynced    bool          `json:"ntp_synced"`
}

func (t *trustedTime) status(bound time.Duration) TimeStatus {
	s := TimeStatus{Floor: t.floor, LastAnchor: t.anchor, AnchorSource: t.anchorSrc, AnchorAge: -1, Bound: bound, NTPSynced: t.ntp}
	if !t.anchorFloor.IsZero() {
		s.AnchorAge = t.floor.Sub(t.anchorFloor)
		s.Trusted = s.AnchorAge <= bound
	}
	return s
}
