package wire

import (
	"fmt"
	"unicode/utf8"
)

// CheckName accepts 1..MaxNameLength bytes of UTF-8 with no control
// characters, the rule for every name in a message (site, holder, device,
// action): names end up in logs, audit entries and terminals.
func CheckName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is empty", ErrMalformed, what)
	}
	if len(s) > MaxNameLength {
		return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrMalformed, what, len(s), MaxNameLength)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrMalformed, what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: %s %q has a control character", ErrMalformed, what, s)
		}
	}
	return nil
}

// checkNames checks a non-empty list of distinct names of at most max
// entries.
func checkNames(what string, names []string, max int) error {
	if len(names) == 0 {
		return fmt.Errorf("%w: no %s", ErrMalformed, what)
	}
	if len(names) > max {
		return fmt.Errorf("%w: %d %s, at most %d", ErrMalformed, len(names), what, max)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if err := CheckName(what, n); err != nil {
			return err
		}
		if seen[n] {
			return fmt.Errorf("%w: %s %q listed twice", ErrMalformed, what, n)
		}
		seen[n] = true
	}
	return nil
}

func checkLen(what string, b []byte, n int) error {
	if len(b) != n {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, what, len(b), n)
	}
	return nil
}

func checkTime(what string, t int64, required bool) error {
	if t < 0 || (required && t == 0) {
		return fmt.Errorf("%w: %s %d is not a positive Unix time", ErrMalformed, what, t)
	}
	// Year 9999: beyond it time.Unix and RFC 3339 stop agreeing.
	if t > 253402300799 {
		return fmt.Errorf("%w: %s %d is after year 9999", ErrMalformed, what, t)
	}
	return nil
}
