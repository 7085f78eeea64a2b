package config

import (
	"regexp"
	"testing"
)

// The hand-written checks accept exactly what the patterns they replaced
// accepted (regexps compiled at package init ran at every start).
func TestValidatorsMatchTheirPatterns(t *testing.T) {
	inputs := []string{"", "a", "0", "-", "_", "a-b_c", "-a", "_a", "a-", "A", "aB", "a b", "a/b", "a.b", "é",
		"hci", "hci0", "hci12", "hci123", "hci1234", "hcix", "HCI0", " hci0", "hci0\n", "a\n",
		"edgeagent", "Edge-Agent-1", "0123456789abcdef", "0123456789abcdefg", "a_b"}
	for _, n := range []int{62, 63, 64} {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a'
		}
		inputs = append(inputs, string(b))
	}
	for _, c := range []struct {
		name    string
		pattern string
		check   func(string) bool
	}{
		{"validID", `^[a-z0-9][a-z0-9_-]{0,62}$`, validID},
		{"validAdapter", `^hci[0-9]{1,3}$`, validAdapter},
		{"validNamePrefix", `^[A-Za-z0-9-]{1,16}$`, validNamePrefix},
	} {
		re := regexp.MustCompile(c.pattern)
		for _, s := range inputs {
			if got, want := c.check(s), re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, the pattern %s says %v", c.name, s, got, c.pattern, want)
			}
		}
	}
}
