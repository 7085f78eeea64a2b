package rpi

import (
	"regexp"
	"strconv"
	"testing"
)

// BCM accepts exactly the names the pattern it replaced accepted, with the
// same number.
func TestBCMMatchesItsPattern(t *testing.T) {
	re := regexp.MustCompile(`^(?:GPIO|BCM)?([0-9]{1,2})$`)
	for _, s := range []string{"", "GPIO", "BCM", "17", "GPIO17", "BCM17", "GPIO0", "GPIO53", "GPIO54", "GPIO99", "GPIO100", "GPIO017",
		"gpio17", "GPIOBCM1", "BCMGPIO1", "GPIO+1", "GPIO-1", "GPIO 1", "GPIO1\n", "1a", "a1", "P1_11", "GPIO١"} {
		n, err := BCM(s)
		m := re.FindStringSubmatch(s)
		want := -1
		if m != nil {
			want, _ = strconv.Atoi(m[1])
			if want > maxBCM {
				want = -1
			}
		}
		got := n
		if err != nil {
			got = -1
		}
		if got != want {
			t.Errorf("BCM(%q) = %d, %v; the pattern says %d", s, n, err, want)
		}
	}
}
