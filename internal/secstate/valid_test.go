package secstate

import (
	"regexp"
	"strings"
	"testing"
)

// validName accepts exactly what the pattern it replaced accepted.
func TestValidNameMatchesItsPattern(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	for _, s := range []string{"", "a", "-", "_", "time-floor", "revocations_1", "A", "a/b", "..", "a.b", "a\n", "é",
		strings.Repeat("a", 32), strings.Repeat("a", 33)} {
		if got, want := validName(s), re.MatchString(s); got != want {
			t.Errorf("validName(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}
