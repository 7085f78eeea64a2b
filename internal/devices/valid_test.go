package devices

import (
	"regexp"
	"testing"
)

// validSensorID accepts exactly what the pattern it replaced accepted: a
// sensor id becomes a path, so nothing with / or .. may pass.
func TestValidSensorIDMatchesItsPattern(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{12}$`)
	for _, s := range []string{"", "28-00000a1b2c3d", "28-00000A1B2C3D", "28-00000a1b2c3", "28-00000a1b2c3d0", "2800000a1b2c3d0",
		"28-../../etc/pa", "28-00000a1b2c/d", "g8-00000a1b2c3d", "28_00000a1b2c3d", "28-00000a1b2c3d\n", "---------------"} {
		if got, want := validSensorID(s), re.MatchString(s); got != want {
			t.Errorf("validSensorID(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}
