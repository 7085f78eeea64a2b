package main

// Browser tests: Debian's chromium, driven by chromedp, against the LAN API
// and web app served in-process over real HTTPS, with simulated devices on
// the real clock. The cloud link is a test double of localapi's Cloud func
// (the MQTT link is another part); everything else is what the agent runs.
// Assertions are on the DOM, never on pixels.

import (
	"context"
	"crypto"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

const browserConfig = `site = "home"

[[lock]]
id = "front-door"
name = "Front door"
relay = "GPIO17"
fail = "secure"
relock_after = "1s"

[[switch]]
id = "hall-light"
name = "Hall light"
relay = "GPIO5"

[[boiler]]
id = "heating"
name = "Heating"
relay = "GPIO6"
sensor = "28-00000a1b2c3d"
poll = "200ms"

[[cover]]
id = "curtain"
name = "Living room curtain"
up = "GPIO23"
down = "GPIO24"
travel = "3s"
`

// lanSite is a hub with its LAN API served in-process.
type lanSite struct {
	url    string
	hub    *devices.Hub
	keeper *localauth.Keeper
	auth   crypto.Signer
	// stopLAN stops the LAN API (the hub goes off the network) and returns
	// once it is closed.
	stopLAN func()

	mu    sync.Mutex
	cloud localapi.CloudStatus
}

func (s *lanSite) setCloud(c localapi.CloudStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cloud = c
}

func (s *lanSite) cloudStatus() localapi.CloudStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cloud
}

// startLANSite serves the LAN API of browserConfig on a loopback port,
// with a resident "alice" (PIN 2468) and a PIN lockout after 3 wrong ones.
func startLANSite(t testing.TB) *lanSite {
	t.Helper()
	return startLANSiteAt(t, "127.0.0.1:0", nil)
}

// startLANSiteAt is startLANSite on addr (a hub replaced at the same
// address), with its LAN options changed by opts when not nil.
func startLANSiteAt(t testing.TB, addr string, opts func(*localapi.LANOptions)) *lanSite {
	t.Helper()
	cfg, err := config.Parse("home.toml", []byte(browserConfig))
	if err != nil {
		t.Fatal(err)
	}
	sim := devices.NewSim(clock.Real{})
	hub, err := devices.New(cfg.Devices(), sim.Options())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, _, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		t.Fatal(err)
	}
	hub.Start(st, nil)
	s := &lanSite{hub: hub, cloud: localapi.CloudStatus{Reachable: true, Since: time.Now().Add(-time.Hour)}}
	if s.auth, err = wire.GenerateKey(wire.Ed25519); err != nil {
		t.Fatal(err)
	}
	s.keeper, err = localauth.New(localauth.Options{
		Site: "home", Store: st, SecState: sec, Authorities: []crypto.PublicKey{s.auth.Public()},
		NTPSynced: func() bool { return true },
		PIN:       localauth.PINPolicy{Attempts: 3, Lockout: 5 * time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	holder, _ := wire.GenerateKey(wire.Ed25519)
	g, err := localauth.IssueGrant(s.auth, localauth.GrantSpec{
		Site: "home", Holder: holder.Public(), Name: "alice", Role: wire.RoleResident,
		Devices: []string{"*"}, PIN: "2468", PINParams: localauth.PINParams{Time: 1, MemoryKiB: 64, Threads: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.keeper.Import(g); err != nil {
		t.Fatal(err)
	}
	lo := localapi.LANOptions{Hub: hub, Store: st, SecState: sec, Keeper: s.keeper, Site: "home", Cloud: s.cloudStatus, Listen: "127.0.0.1:0"}
	if opts != nil {
		opts(&lo)
	}
	lan, err := localapi.NewLAN(lo)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.url = "https://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	lanCtx, cancelLAN := context.WithCancel(ctx)
	lanDone := make(chan struct{})
	s.stopLAN = func() { cancelLAN(); <-lanDone }
	var wg sync.WaitGroup
	wg.Go(func() { _ = hub.Run(ctx) })
	wg.Go(func() { _ = lan.Serve(lanCtx, ln); close(lanDone) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		s.keeper.Close()
		st.Close()
	})
	return s
}

// chromiumPath finds Debian's chromium. Without it the browser tests skip,
// except under CI=true, where they fail: CI installs it (system-packages.txt).
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI=true makes this a failure")
	return ""
}

// newChromium starts a headless chromium with a fresh profile, sized like a
// small phone, with the given Accept-Language. Network features that
// would try to reach the internet are off.
func newChromium(t testing.TB, acceptLanguage string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // root in a container
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("ignore-certificate-errors", true), // the hub's certificate is self-signed
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser; it has no timeout of its own
	// (it would stop the browser), the steps after it have (chrome).
	_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true,
	})
	if err == nil {
		_, err = chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (Linux; Android 14) edgeagent-test", AcceptLanguage: acceptLanguage,
		})
	}
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// chrome runs chromedp steps, each batch within 20 s, failing the test with
// what was being done and the page as it was.
func chrome(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sub, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sub, steps...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.outerHTML`))
		t.Fatalf("%s: %v\npage body:\n%s", what, err, html)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	sub, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sub, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// text is the visible text of the first element matching a CSS selector.
func text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	sub, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sub, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// css builds the steps' selectors: every query here is CSS.
type css = chromedp.CSS

func login(t *testing.T, ctx context.Context, url, user, pin string) {
	t.Helper()
	chrome(t, ctx, "log in as "+user,
		chromedp.Navigate(url),
		chromedp.WaitVisible(css("#login")),
		chromedp.SetValue(css("#user"), user),
		chromedp.SetValue(css("#pin"), pin),
		chromedp.Click(css("#login-btn")),
		chromedp.WaitVisible(css("#devices article")),
	)
}

func card(id string) string { return fmt.Sprintf(`article[data-device=%q]`, id) }

func TestBrowserLoginSwitchUnlockRelock(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	login(t, ctx, s.url, "alice", "2468")

	if who := text(t, ctx, "#who"); !strings.Contains(who, "alice") || !strings.Contains(who, "resident") {
		t.Errorf("logged in as %q", who)
	}
	chrome(t, ctx, "switch the light on",
		chromedp.WaitVisible(css(card("hall-light")+`[data-state="off"]`)),
		chromedp.Click(css(card("hall-light")+` button[data-action="on"]`)),
		chromedp.WaitVisible(css(card("hall-light")+`[data-state="on"]`)),
	)
	if st, _ := s.hub.Get("hall-light"); st.State != "on" {
		t.Errorf("the page says on, the hub says %s", st.State)
	}
	chrome(t, ctx, "unlock the door and see it relock",
		chromedp.Click(css(card("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(card("front-door")+`[data-state="unlocked"]`)),
		chromedp.WaitVisible(css(card("front-door")+`[data-state="locked"]`)),
		// The events list catches up within a few polls.
		chromedp.WaitVisible(css(`#events li[data-type="locked"]`)),
		chromedp.WaitVisible(css(`#events li[data-type="unlocked"]`)),
	)
	small := eval[[]string](t, ctx, `[...document.querySelectorAll('#devices button')].filter(b => b.getBoundingClientRect().height < 44).map(b => b.textContent)`)
	if len(small) > 0 {
		t.Errorf("touch targets under 44 px: %q", small)
	}
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
		t.Error("the page is wider than a 390 px phone screen")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('script:not([src]), [onclick], [onload]').length`); n != 0 {
		t.Errorf("%d inline scripts or handlers", n)
	}
	firstLoad := eval[int](t, ctx, `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
		.filter(e => !e.name.includes('/api/')).reduce((n, e) => n + e.transferSize, 0)`)
	t.Logf("first load transferred %d bytes (headers included)", firstLoad)
	if firstLoad <= 0 || firstLoad >= 100_000 {
		t.Errorf("first load %d bytes, want under 100 KB", firstLoad)
	}

	chrome(t, ctx, "log out",
		chromedp.Click(css("#logout")),
		chromedp.WaitVisible(css("#login")),
		chromedp.Navigate(s.url),
		chromedp.WaitVisible(css("#login")),
	)
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/api/v1/devices').then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 401 {
		t.Errorf("the API after logout answers %d %v, want 401", status, err)
	}
}

func TestBrowserWrongPINsUntilLockout(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	chrome(t, ctx, "open the page", chromedp.Navigate(s.url), chromedp.WaitVisible(css("#login")))
	try := func(pin, code string) string {
		t.Helper()
		chrome(t, ctx, "PIN "+pin,
			chromedp.SetValue(css("#user"), "alice"),
			chromedp.SetValue(css("#pin"), pin),
			chromedp.Click(css("#login-btn")),
			chromedp.WaitVisible(css(`#login-msg[data-code="`+code+`"]`)),
		)
		msg := text(t, ctx, "#login-msg")
		// The next attempt must not match this one's message.
		eval[string](t, ctx, `document.getElementById('login-msg').dataset.code = ''`)
		return msg
	}
	if msg := try("1111", "wrong_pin"); msg != "Wrong name or PIN." {
		t.Errorf("first wrong PIN says %q", msg)
	}
	try("2222", "wrong_pin")
	msg := try("3333", "locked_out")
	if !strings.Contains(msg, "Too many wrong PINs") || !strings.Contains(msg, "5 min") {
		t.Errorf("lockout message %q, want it to say why and for how long", msg)
	}
	// The right PIN does not help while locked out.
	if msg := try("2468", "locked_out"); !strings.Contains(msg, "Locked") {
		t.Errorf("right PIN while locked out says %q", msg)
	}
	if !eval[bool](t, ctx, `document.getElementById('app').hidden`) {
		t.Error("the app opened during a lockout")
	}
}

func TestBrowserOfflineBanner(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	login(t, ctx, s.url, "alice", "2468")
	chrome(t, ctx, "a poll or more", chromedp.Sleep(2500*time.Millisecond))
	if !eval[bool](t, ctx, `document.getElementById('banner').hidden`) {
		t.Error("the offline banner shows while the cloud is reachable")
	}
	s.setCloud(localapi.CloudStatus{Reachable: false, Since: time.Now().Add(-20 * time.Minute), Waiting: 12})
	chrome(t, ctx, "banner when the cloud is unreachable", chromedp.WaitVisible(css("#banner")))
	if b := text(t, ctx, "#banner"); !strings.Contains(b, "Cloud unreachable since") || !strings.Contains(b, "12 events") {
		t.Errorf("banner %q: want since when and how many events wait", b)
	}
	// Local control goes on while the cloud is away.
	chrome(t, ctx, "switch the light offline",
		chromedp.Click(css(card("hall-light")+` button[data-action="on"]`)),
		chromedp.WaitVisible(css(card("hall-light")+`[data-state="on"]`)))
	s.setCloud(localapi.CloudStatus{Reachable: true, Since: time.Now()})
	chrome(t, ctx, "banner gone when the cloud is back", chromedp.WaitNotVisible(css("#banner")))
}

func TestBrowserKorean(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "ko-KR,ko;q=0.9,en;q=0.5")
	chrome(t, ctx, "open the page in Korean", chromedp.Navigate(s.url), chromedp.WaitVisible(css("#login")))
	if lang, button := eval[string](t, ctx, `document.documentElement.lang`), text(t, ctx, "#login-btn"); lang != "ko" || button != "로그인" {
		t.Errorf("page lang %q, login button %q; want ko, 로그인", lang, button)
	}
	login(t, ctx, s.url, "alice", "2468")
	if state := text(t, ctx, card("front-door")+" .state"); state != "잠김" {
		t.Errorf("door state %q, want 잠김", state)
	}
}

// TestBrowserScreenshots writes the README's screenshots when
// EDGEAGENT_SCREENSHOTS names a directory (make screenshots).
func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("EDGEAGENT_SCREENSHOTS")
	if dir == "" {
		t.Skip("set EDGEAGENT_SCREENSHOTS=DIR (make screenshots)")
	}
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	shot := func(name string) {
		t.Helper()
		chrome(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", filepath.Join(dir, name), len(png))
	}
	chrome(t, ctx, "open the page", chromedp.Navigate(s.url), chromedp.WaitVisible(css("#login")))
	shot("lan-login.png")

	for _, a := range [][3]string{{"hall-light", "on", ""}, {"curtain", "set-position", "60"}, {"heating", "set-setpoint", "21.5"}} {
		if _, err := s.hub.Do(a[0], a[1], a[2]); err != nil {
			t.Fatal(err)
		}
	}
	login(t, ctx, s.url, "alice", "2468")
	chrome(t, ctx, "wait for events", chromedp.WaitVisible(css("#events li")), chromedp.Sleep(2500*time.Millisecond))
	shot("lan-devices.png")
	s.setCloud(localapi.CloudStatus{Reachable: false, Since: time.Now().Add(-95 * time.Minute), Waiting: 37})
	chrome(t, ctx, "wait for the banner", chromedp.WaitVisible(css("#banner")))
	shot("lan-devices-offline.png")
}

// An owner's app shows the HomeKit setup code and draws its QR code; once a
// controller has paired it goes away. A resident's app never shows it.
func TestBrowserHomeKitSetupForOwners(t *testing.T) {
	const code, uri = "123-45-678", "X-HM://0023ISYWY1234"
	var mu sync.Mutex
	paired := false
	s := startLANSiteAt(t, "127.0.0.1:0", func(o *localapi.LANOptions) {
		o.HomeKit = func() homekit.Status {
			mu.Lock()
			defer mu.Unlock()
			return homekit.Status{Name: "edgeagent", SetupCode: code, SetupURI: uri, Paired: paired}
		}
	})
	holder, _ := wire.GenerateKey(wire.Ed25519)
	g, err := localauth.IssueGrant(s.auth, localauth.GrantSpec{
		Site: "home", Holder: holder.Public(), Name: "olga", Role: wire.RoleOwner,
		Devices: []string{"*"}, PIN: "1357", PINParams: localauth.PINParams{Time: 1, MemoryKiB: 64, Threads: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.keeper.Import(g); err != nil {
		t.Fatal(err)
	}

	// The devices render in the same turn as the status is applied: once
	// they show, a resident's page has decided about the setup.
	resident := newChromium(t, "en-US,en;q=0.9")
	login(t, resident, s.url, "alice", "2468")
	if !eval[bool](t, resident, `document.getElementById('homekit').hidden`) || strings.Contains(eval[string](t, resident, `document.body.innerText`), code) {
		t.Error("a resident's page shows the HomeKit setup")
	}

	owner := newChromium(t, "en-US,en;q=0.9")
	login(t, owner, s.url, "olga", "1357")
	chrome(t, owner, "the HomeKit setup shows", chromedp.WaitVisible(css("#homekit")))
	if c, u := text(t, owner, "#hk-code"), text(t, owner, "#hk-uri"); c != code || u != uri {
		t.Errorf("setup code %q, payload %q; want %s, %s", c, u, code, uri)
	}
	// The QR code is drawn from the payload: its canvas holds dark modules.
	if got := eval[string](t, owner, `document.getElementById('hk-qr').dataset.text`); got != uri {
		t.Errorf("QR code of %q, want %q", got, uri)
	}
	dark := eval[float64](t, owner, `(() => { const c = document.getElementById('hk-qr'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === 0) n++; return c.width > 0 ? n / (c.width * c.height) : 0; })()`)
	if dark < 0.2 || dark > 0.6 {
		t.Errorf("QR canvas dark share %.2f: not a drawn QR code", dark)
	}

	mu.Lock()
	paired = true
	mu.Unlock()
	chrome(t, owner, "the setup goes once paired", chromedp.WaitNotVisible(css("#homekit")))
}
