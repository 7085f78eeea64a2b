package localauth

import (
	"fmt"
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
	// Wall is the system clock at the same moment: expiry is judged against
	// the later of Floor and Wall, not-before against Floor.
	Wall time.Time `json:"wall"`
	// Why says in words whether time is trusted and what follows.
	Why string `json:"why"`
}

func (t *trustedTime) status(bound time.Duration) TimeStatus {
	s := TimeStatus{Floor: t.floor, LastAnchor: t.anchor, AnchorSource: t.anchorSrc, AnchorAge: -1, Bound: bound, NTPSynced: t.ntp, Wall: t.last.Round(0).UTC()}
	if !t.anchorFloor.IsZero() {
		s.AnchorAge = t.floor.Sub(t.anchorFloor)
		s.Trusted = s.AnchorAge <= bound
	}
	s.Why = s.explain()
	return s
}

// explain puts the time status in words a resident understands.
func (s TimeStatus) explain() string {
	const refused = "; guest keys that require trusted time are refused"
	var why string
	source := map[string]string{AnchorNTP: "NTP-synchronised", AnchorSigned: "confirmed by a signed timestamp from the cloud"}[s.AnchorSource]
	switch {
	case s.Trusted && s.NTPSynced:
		why = "trusted: the system clock is NTP-synchronised"
	case s.Trusted:
		why = fmt.Sprintf("trusted: %s %s ago", source, roundAge(s.AnchorAge))
	case s.AnchorAge >= 0:
		why = fmt.Sprintf("not trusted: last %s %s ago, longer than the %s allowed%s", source, roundAge(s.AnchorAge), roundAge(s.Bound), refused)
	default:
		why = "not trusted: no NTP synchronisation or signed time since the hub started" + refused
	}
	switch d := s.Wall.Sub(s.Floor); {
	case d < -time.Minute:
		why += fmt.Sprintf("; the system clock is %s behind the trusted floor and is not believed", roundAge(-d))
	case d > time.Minute && !s.NTPSynced:
		why += fmt.Sprintf("; the system clock is %s ahead of the trusted floor: it may end keys early, never late", roundAge(d))
	}
	return why
}

func roundAge(d time.Duration) time.Duration {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute)
	case d >= time.Minute:
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// validity judges a grant's window (Unix seconds; notAfter 0: none).
//
// Expiry is judged against the later of the floor and the wall clock: the
// floor is only a lower bound on the true time (it may lag days behind it
// after a long power cut), so a wall clock ahead of it may expire a grant
// early, never extend it. Not-before is judged against the floor only: a
// wall clock set ahead must not make a grant valid before its time.
func validity(notBefore, notAfter int64, needTrusted bool, floor, wall time.Time, trusted bool) Reason {
	expiry := floor
	if wall.After(expiry) {
		expiry = wall
	}
	switch {
	case notAfter != 0 && expiry.Unix() >= notAfter:
		return ReasonExpired
	case floor.Unix() < notBefore:
		return ReasonNotYetValid
	case needTrusted && !trusted:
		return ReasonUntrustedTime
	}
	return ""
}
