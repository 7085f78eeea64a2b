package main

import (
	"reflect"
	"testing"
)

func TestParseAcks(t *testing.T) {
	got, err := parseAcks("ack,17:front-door:unlocked,18:light:switched_on")
	if err != nil {
		t.Fatal(err)
	}
	want := []ack{{17, "front-door", "unlocked"}, {18, "light", "switched_on"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseAcks = %v, want %v", got, want)
	}
	for _, bad := range []string{"ack,17:front-door", "ack,x:light:on", "ack,"} {
		if _, err := parseAcks(bad); err == nil {
			t.Errorf("parseAcks(%q) accepted", bad)
		}
	}
}

// The control's files are found only whole: a file the power cut left
// short (its size journalled, its data not) counts as lost.
func TestFilesOfSize(t *testing.T) {
	ls := "/2/040755/0/0/./4096/\n/2/040755/0/0/../4096/\n/12/100644/0/0/0/4096/\n /13/100644/0/0/1/0/\n/14/100644/0/0/2/4096/\n"
	got := filesOfSize(ls, 4096)
	for _, name := range []string{"0", "2"} {
		if !got[name] {
			t.Errorf("%s not found whole in %v", name, got)
		}
	}
	if got["1"] {
		t.Error("an empty file counted as whole")
	}
}
