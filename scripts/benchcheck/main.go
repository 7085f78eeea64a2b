// Command benchcheck evaluates the benchmark targets of
// scripts/bench-targets.md against the raw output of `go test -bench`, so
// that docs/benchmarks.md says for every target whether it was met, with
// the figure, and a missed target is never silent.
//
//	go run ./scripts/benchcheck scripts/bench-targets.md raw.txt
//
// It prints the targets file with a "result" column added to its table,
// and exits 1 if any check missed (or found no figure), 2 on bad input.
//
// Each table row's last cell holds its checks, separated by ";":
//
//	BenchmarkX unit < 150                    a figure against a bound
//	BenchmarkX/sub unit < BenchmarkY unit    two figures from the same run
//	BenchmarkX unit reported                 no target: the figure is shown
//
// Operators are <, <=, > and >=. Names are as printed by go test, without
// the -GOMAXPROCS suffix.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: benchcheck TARGETS.md RAW-BENCH-OUTPUT")
		os.Exit(2)
	}
	targets, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
	raw, err := os.Open(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
	defer raw.Close()
	figs, err := parseRaw(raw)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchcheck: %s: %v\n", os.Args[2], err)
		os.Exit(2)
	}
	out, missed, err := evaluate(string(targets), figs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchcheck: %s: %v\n", os.Args[1], err)
		os.Exit(2)
	}
	fmt.Print(out)
	for _, m := range missed {
		fmt.Fprintln(os.Stderr, "benchcheck: MISSED:", m)
	}
	if len(missed) > 0 {
		os.Exit(1)
	}
}

// figures are benchmark results: name -> unit -> value.
type figures map[string]map[string]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// parseRaw reads `go test -bench` output: "BenchmarkX-2  N  v unit  v unit…".
func parseRaw(r io.Reader) (figures, error) {
	figs := figures{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a benchmark's log line, not its result
		}
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("line %d: value without a unit: %q", n, sc.Text())
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		m := map[string]float64{}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s %q: %v", n, f[i+1], f[i], err)
			}
			m[f[i+1]] = v
		}
		figs[name] = m
	}
	return figs, sc.Err()
}

// evaluate adds a result column to every table row of the targets text and
// returns it with the checks that missed.
func evaluate(targets string, figs figures) (string, []string, error) {
	var out strings.Builder
	var missed []string
	for n, line := range strings.SplitAfter(targets, "\n") {
		body := strings.TrimRight(line, "\n")
		switch {
		case !strings.HasPrefix(body, "|"):
			out.WriteString(line)
			continue
		case strings.HasPrefix(body, "|---"):
			out.WriteString(body + "---|\n")
			continue
		}
		cells := strings.Split(strings.Trim(body, "|"), "|")
		checks := strings.TrimSpace(cells[len(cells)-1])
		if checks == "check" { // the header
			out.WriteString(body + " result |\n")
			continue
		}
		if checks == "" {
			return "", nil, fmt.Errorf("line %d: a target without a check", n+1)
		}
		var results []string
		for _, c := range strings.Split(checks, ";") {
			c = strings.Trim(strings.TrimSpace(c), "`")
			res, ok, err := check(c, figs)
			if err != nil {
				return "", nil, fmt.Errorf("line %d: %v", n+1, err)
			}
			if !ok {
				missed = append(missed, c+": "+res)
			}
			results = append(results, res)
		}
		out.WriteString(body + " " + strings.Join(results, "; ") + " |\n")
	}
	return out.String(), missed, nil
}

// check evaluates one check and says what it found.
func check(c string, figs figures) (string, bool, error) {
	f := strings.Fields(c)
	get := func(name, unit string) (float64, bool) {
		v, ok := figs[name][unit]
		return v, ok
	}
	if len(f) < 3 {
		return "", false, fmt.Errorf("check %q: want NAME UNIT OP VALUE, NAME UNIT OP NAME UNIT or NAME UNIT reported", c)
	}
	a, ok := get(f[0], f[1])
	if !ok {
		return fmt.Sprintf("**missed**: no %s figure from %s", f[1], f[0]), false, nil
	}
	if len(f) == 3 && f[2] == "reported" {
		return fmt.Sprintf("reported: %s %s", num(a), f[1]), true, nil
	}
	var b float64
	var against string
	switch len(f) {
	case 4:
		v, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			return "", false, fmt.Errorf("check %q: bound %q: %v", c, f[3], err)
		}
		b, against = v, f[3]
	case 5:
		v, ok := get(f[3], f[4])
		if !ok {
			return fmt.Sprintf("**missed**: no %s figure from %s", f[4], f[3]), false, nil
		}
		b, against = v, num(v)+" "+f[4]
	default:
		return "", false, fmt.Errorf("check %q: want NAME UNIT OP VALUE, NAME UNIT OP NAME UNIT or NAME UNIT reported", c)
	}
	var met bool
	switch f[2] {
	case "<":
		met = a < b
	case "<=":
		met = a <= b
	case ">":
		met = a > b
	case ">=":
		met = a >= b
	default:
		return "", false, fmt.Errorf("check %q: operator %q: want <, <=, > or >=", c, f[2])
	}
	verdict := "met"
	if !met {
		verdict = "**missed**"
	}
	return fmt.Sprintf("%s: %s %s %s %s", verdict, num(a), f[1], f[2], against), met, nil
}

// num prints a figure as go test does, without exponents for large ones.
func num(v float64) string {
	if v >= 1e4 || v <= -1e4 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
