package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/edgeagent/edgeagent/internal/localapi"
)

// TestDemoOfflineStory runs `edgeagent demo` as a user would and follows
// its script in Chromium: the printed URL and PINs; a resident logs in and
// unlocks (the resident has no "Pull the plug"); the owner pulls the plug;
// the banner shows, events queue while the door and the light still work;
// the plug goes back in, the banner goes and the queue drains to the cloud.
func TestDemoOfflineStory(t *testing.T) {
	ctx := newChromium(t, "en-US,en;q=0.9")
	dir := t.TempDir()
	out := &lockedBuffer{}
	cmd := exec.Command(agentBin, "demo", "--dir", dir, "--listen", fmt.Sprintf("127.0.0.1:%d", freeLoopbackPort(t)))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})
	waitFor(t, "the demo's instructions", func() bool { return strings.Contains(out.String(), "Things to try") })
	printed := out.String()
	url := regexp.MustCompile(`open\s+(https://\S+)`).FindStringSubmatch(printed)
	pin := func(name string) string {
		m := regexp.MustCompile(name + `\s+PIN (\d+)`).FindStringSubmatch(printed)
		if m == nil {
			t.Fatalf("no PIN for %s printed:\n%s", name, printed)
		}
		return m[1]
	}
	if url == nil {
		t.Fatalf("no URL printed:\n%s", printed)
	}
	admin := localapi.NewAdminClient(filepath.Join(dir, "data", "admin.sock"))
	status := func() localapi.Status {
		t.Helper()
		st, err := admin.Status()
		if err != nil || st.Cloud == nil {
			t.Fatalf("status: %+v %v", st, err)
		}
		return st
	}
	waitFor(t, "the hub connected to the demo cloud", func() bool { return status().Cloud.Connected })

	login(t, ctx, url[1], "resident", pin("resident"))
	chrome(t, ctx, "unlock the front door as the resident",
		chromedp.Click(css(card("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(card("front-door")+`[data-state="unlocked"]`)),
	)
	if eval[bool](t, ctx, fmt.Sprintf(`document.querySelector(%q) !== null`, card(plugDevice))) {
		t.Error("the resident sees the Pull the plug switch")
	}
	chrome(t, ctx, "log out", chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login")))

	login(t, ctx, url[1], "owner", pin("owner"))
	chrome(t, ctx, "pull the plug as the owner",
		chromedp.Click(css(card(plugDevice)+` button[data-action="on"]`)),
		chromedp.WaitVisible(css(card(plugDevice)+`[data-state="on"]`)),
		chromedp.WaitVisible(css("#banner")),
	)
	if b := text(t, ctx, "#banner"); !strings.Contains(b, "Cloud unreachable since") {
		t.Errorf("banner %q", b)
	}
	chrome(t, ctx, "the house works offline",
		chromedp.Click(css(card("hall-light")+` button[data-action="on"]`)),
		chromedp.WaitVisible(css(card("hall-light")+`[data-state="on"]`)),
		chromedp.Click(css(card("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(card("front-door")+`[data-state="unlocked"]`)),
	)
	queued := status().Cloud.PendingTotal
	if status().Cloud.Connected || queued == 0 {
		t.Fatalf("after the plug was pulled: connected %v, %d events queued; want offline with a queue", status().Cloud.Connected, queued)
	}
	chrome(t, ctx, "the banner counts what waits", chromedp.WaitVisible(css("#banner")))
	if b := text(t, ctx, "#banner"); !regexp.MustCompile(`[1-9]\d* events?`).MatchString(b) {
		t.Errorf("banner %q: want the events waiting", b)
	}

	chrome(t, ctx, "put the plug back",
		chromedp.Click(css(card(plugDevice)+` button[data-action="off"]`)),
		chromedp.WaitVisible(css(card(plugDevice)+`[data-state="off"]`)),
		chromedp.WaitNotVisible(css("#banner")),
	)
	waitFor(t, "the queue drained", func() bool { c := status().Cloud; return c.Connected && c.PendingTotal == 0 })
	if !strings.Contains(out.String(), "the plug is pulled") || !strings.Contains(out.String(), "the plug is back in") {
		t.Errorf("the demo did not say what the plug did:\n%s", out.String())
	}
}
