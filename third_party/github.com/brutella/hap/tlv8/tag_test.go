package tlv8

import "testing"

// fieldTag gives what xiam/to's uint8(to.Uint64(tag)) gave: the tags in
// use are decimals below 256; anything else wraps or is 0, as before.
func TestFieldTag(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		want uint8
	}{
		{"0", 0},
		{"6", 6},
		{"255", 255},
		{"256", 0},
		{"300", 44},
		{"-1", 0},
		{"abc", 0},
		{"", 0},
	} {
		if got := fieldTag(tc.tag); got != tc.want {
			t.Errorf("fieldTag(%q) = %d, want %d", tc.tag, got, tc.want)
		}
	}
}
