package localauth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseSchedule reads weekly windows such as "mon-fri 08:00-18:00" or
// "sat,sun 10:00-14:00; wed 19:00-21:00": windows separated by ";", each
// a day list and a time range. Days are mon..sun, ranges (fri-mon wraps),
// comma lists, or "daily". Times are HH:MM, 24:00 allowed as an end; a range
// over midnight ("fri 22:00-02:00") becomes two windows. "" is no schedule.
// An error names the window and the part that is wrong.
func ParseSchedule(s string) ([]wire.Window, error) {
	var out []wire.Window
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			if strings.TrimSpace(s) == "" {
				return nil, nil
			}
			return nil, fmt.Errorf("%w: schedule window %d is empty", ErrBadSpec, i+1)
		}
		ws, err := parseWindow(part)
		if err != nil {
			return nil, fmt.Errorf("%w: schedule window %d %q: %v", ErrBadSpec, i+1, part, err)
		}
		out = append(out, ws...)
	}
	if len(out) > wire.MaxWindows {
		return nil, fmt.Errorf("%w: schedule has %d windows, at most %d", ErrBadSpec, len(out), wire.MaxWindows)
	}
	return out, nil
}

func parseWindow(s string) ([]wire.Window, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return nil, fmt.Errorf(`want "DAYS HH:MM-HH:MM"`)
	}
	days, err := parseDays(f[0])
	if err != nil {
		return nil, err
	}
	from, to, ok := strings.Cut(f[1], "-")
	if !ok {
		return nil, fmt.Errorf("time range %q: want HH:MM-HH:MM", f[1])
	}
	start, err := parseClock(from, false)
	if err != nil {
		return nil, err
	}
	end, err := parseClock(to, true)
	if err != nil {
		return nil, err
	}
	switch {
	case start < end:
		return []wire.Window{{Days: days, Start: start, End: end}}, nil
	case start == end:
		return nil, fmt.Errorf("time range %q is empty", f[1])
	}
	// Over midnight: the evening on the named days, the small hours on the
	// days after them.
	ws := []wire.Window{{Days: days, Start: start, End: 24 * 60}}
	if end > 0 {
		next := (days<<1 | days>>6) & 0x7f // rotate: sat's next day is sun
		ws = append(ws, wire.Window{Days: next, Start: 0, End: end})
	}
	return ws, nil
}

func parseDays(s string) (uint8, error) {
	if s == "daily" || s == "*" {
		return 0x7f, nil
	}
	var days uint8
	for _, item := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(item, "-")
		a, err := parseDay(from)
		if err != nil {
			return 0, err
		}
		if !isRange {
			days |= 1 << a
			continue
		}
		b, err := parseDay(to)
		if err != nil {
			return 0, err
		}
		for d := a; ; d = (d + 1) % 7 {
			days |= 1 << d
			if d == b {
				break
			}
		}
	}
	return days, nil
}

func parseDay(s string) (int, error) {
	i := slices.Index(dayNames[:], strings.ToLower(s))
	if i < 0 {
		return 0, fmt.Errorf("unknown day %q (want mon, tue, wed, thu, fri, sat, sun)", s)
	}
	return i, nil
}

func parseClock(s string, end bool) (uint16, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) > 2 || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 ||
		hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("bad time %q (want HH:MM, 00:00 to 24:00)", s)
	}
	return uint16(hh*60 + mm), nil
}

// FormatSchedule writes windows back in ParseSchedule's syntax.
func FormatSchedule(ws []wire.Window) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, fmt.Sprintf("%s %02d:%02d-%02d:%02d", formatDays(w.Days), w.Start/60, w.Start%60, w.End/60, w.End%60))
	}
	return strings.Join(parts, "; ")
}

// formatDays lists days Monday first, folding runs of 3 or more into ranges.
func formatDays(days uint8) string {
	if days&0x7f == 0x7f {
		return "daily"
	}
	order := []int{1, 2, 3, 4, 5, 6, 0}
	var parts []string
	for i := 0; i < len(order); {
		if days&(1<<order[i]) == 0 {
			i++
			continue
		}
		j := i
		for j+1 < len(order) && days&(1<<order[j+1]) != 0 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, dayNames[order[i]]+"-"+dayNames[order[j]])
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, dayNames[order[k]])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// inSchedule reports whether t (already in the site's zone) falls in one of
// the windows; no windows means always.
func inSchedule(ws []wire.Window, t time.Time) bool {
	if len(ws) == 0 {
		return true
	}
	day := uint8(1) << t.Weekday()
	m := uint16(t.Hour()*60 + t.Minute())
	for _, w := range ws {
		if w.Days&day != 0 && w.Start <= m && m < w.End {
			return true
		}
	}
	return false
}

// scheduleCovers reports whether every minute the child's windows allow is
// allowed by the parent's too (no parent windows: always allowed).
func scheduleCovers(parent, child []wire.Window) bool {
	if len(parent) == 0 {
		return true
	}
	if len(child) == 0 {
		return false
	}
	for d := 0; d < 7; d++ {
		bit := uint8(1) << d
		var spans [][2]uint16
		for _, w := range parent {
			if w.Days&bit != 0 {
				spans = append(spans, [2]uint16{w.Start, w.End})
			}
		}
		spans = mergeSpans(spans)
	child:
		for _, w := range child {
			if w.Days&bit == 0 {
				continue
			}
			for _, s := range spans {
				if s[0] <= w.Start && w.End <= s[1] {
					continue child
				}
			}
			return false
		}
	}
	return true
}

// mergeSpans sorts and joins overlapping or touching spans.
func mergeSpans(spans [][2]uint16) [][2]uint16 {
	slices.SortFunc(spans, func(a, b [2]uint16) int { return int(a[0]) - int(b[0]) })
	var out [][2]uint16
	for _, s := range spans {
		if n := len(out); n > 0 && s[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}
