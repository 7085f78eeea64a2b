package wire

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DriveLimit is the value of a vehicle's "authorise" action: how long the
// car may be started for and the speed bound passed to it. Its text form,
// carried as the action's value, is "" (the car's default window, no
// speed bound) or comma-separated keys: "window=10m", "speed=40" (km/h),
// "window=10m,speed=40". The hub and the policy read the same form.
type DriveLimit struct {
	Window   time.Duration // 0: the car's configured window
	SpeedKMH int           // 0: no bound
}

// Bounds on a DriveLimit.
const (
	MaxDriveSpeed = 300 // km/h
)

// ParseDriveLimit reads a DriveLimit; every error names the part that is wrong.
func ParseDriveLimit(s string) (DriveLimit, error) {
	var l DriveLimit
	if s == "" {
		return l, nil
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || seen[k] {
			return DriveLimit{}, fmt.Errorf("%w: drive limit %q: %q is not a single key=value", ErrMalformed, s, part)
		}
		seen[k] = true
		switch k {
		case "window":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > MaxDriveWindow*time.Second {
				return DriveLimit{}, fmt.Errorf("%w: drive limit %q: window %q is not a duration in 0..24h", ErrMalformed, s, v)
			}
			l.Window = d
		case "speed":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > MaxDriveSpeed {
				return DriveLimit{}, fmt.Errorf("%w: drive limit %q: speed %q is not km/h in 1..%d", ErrMalformed, s, v, MaxDriveSpeed)
			}
			l.SpeedKMH = n
		default:
			return DriveLimit{}, fmt.Errorf("%w: drive limit %q: unknown key %q (window, speed)", ErrMalformed, s, k)
		}
	}
	return l, nil
}

// String is the text form ParseDriveLimit reads.
func (l DriveLimit) String() string {
	var parts []string
	if l.Window > 0 {
		parts = append(parts, "window="+l.Window.String())
	}
	if l.SpeedKMH > 0 {
		parts = append(parts, "speed="+strconv.Itoa(l.SpeedKMH))
	}
	return strings.Join(parts, ",")
}
