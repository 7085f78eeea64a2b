package main

import (
	"os"
	"strings"
	"testing"
)

const raw = `goos: linux
pkg: github.com/edgeagent/edgeagent/cmd/edgeagent
BenchmarkColdStart64-2   	     123	        12.85 MB-rss	         8.431 ms/start	   76553 B/op	     634 allocs/op
BenchmarkLANKeyAction-2   	    1095	   1136939 ns/op	         1.060 p50-ms	         3.153 p99-ms
    bench_test.go:31: imported 10000 grants in 2.1s
BenchmarkIngest/group-2     	   33747	     39519 ns/op	     25303 events/s
BenchmarkIngest/single-2 	    4753	    255181 ns/op	      3918 events/s
PASS
`

const targets = `# Targets

| target | benchmark | metric | check |
|---|---|---|---|
| start < 150 ms, < 25 MB | x | y | ` + "`BenchmarkColdStart64 ms/start < 150`; `BenchmarkColdStart64 MB-rss < 10`" + ` |
| key action p99 < 5 ms | x | y | BenchmarkLANKeyAction p99-ms < 5 |
| group faster | x | y | BenchmarkIngest/group events/s > BenchmarkIngest/single events/s |
| shown | x | y | BenchmarkLANKeyAction p50-ms reported |
| absent | x | y | BenchmarkARM64 MB-stripped < 20 |
`

func TestEvaluate(t *testing.T) {
	figs, err := parseRaw(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out, missed, err := evaluate(targets, figs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"| target | benchmark | metric | check | result |",
		"|---|---|---|---|---|",
		"met: 8.431 ms/start < 150; **missed**: 12.85 MB-rss < 10 |",
		"met: 3.153 p99-ms < 5 |",
		"met: 25303 events/s > 3918 events/s |",
		"reported: 1.06 p50-ms |",
		"**missed**: no MB-stripped figure from BenchmarkARM64 |",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if !strings.HasPrefix(out, "# Targets\n\n") {
		t.Errorf("text outside the table changed:\n%s", out)
	}
	if len(missed) != 2 || !strings.Contains(missed[0], "MB-rss") || !strings.Contains(missed[1], "BenchmarkARM64") {
		t.Errorf("missed %q", missed)
	}
}

func TestEvaluateRefusesBadChecks(t *testing.T) {
	figs := figures{"BenchmarkX": {"ns/op": 1}}
	for _, c := range []string{"", "BenchmarkX ns/op", "BenchmarkX ns/op = 1", "BenchmarkX ns/op < one", "BenchmarkX ns/op < 1 2 3"} {
		_, _, err := evaluate("| t | check |\n|---|---|\n| a | "+c+" |\n", figs)
		if err == nil {
			t.Errorf("check %q accepted", c)
		}
	}
}

func TestParseRawRefusesAValueWithoutUnit(t *testing.T) {
	if _, err := parseRaw(strings.NewReader("BenchmarkX-2  10  5 ns/op 7\n")); err == nil {
		t.Fatal("accepted")
	}
}

// The repository's own targets file: every row has a check that parses.
func TestRepositoryTargetsParse(t *testing.T) {
	b, err := os.ReadFile("../bench-targets.md")
	if err != nil {
		t.Fatal(err)
	}
	out, missed, err := evaluate(string(b), figures{})
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(out, "\n| ") - 1 // less the header
	if rows < 10 || len(missed) < rows {
		t.Fatalf("%d rows, %d missed with no figures at all:\n%s", rows, len(missed), out)
	}
}
