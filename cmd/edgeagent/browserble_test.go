package main

// The web app's key path over Web Bluetooth. Headless Chromium has no
// radio, so the page gets a navigator.bluetooth shim (webBluetoothShim,
// evaluated before the app loads) implementing what the app uses:
// requestDevice (with the user-gesture rule of the real one), gatt.connect,
// getPrimaryService, getCharacteristic, writeValueWithoutResponse,
// startNotifications and characteristicvaluechanged events. The shim
// relays each write, byte for byte, to internal/ble's Server on the same
// Keeper and device hub as startLANSite, and each notification back: the
// frames, fragments and reassembly are the real ones on both sides; only
// the radio is missing.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/edgeagent/edgeagent/internal/ble"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// webBluetoothShim is navigator.bluetooth over window.__bleRelay (a Go
// func). window.__bleShim lets the test count writes and lose one.
const webBluetoothShim = `(() => {
  const SERVICE = '` + ble.ServiceUUID + `', REQUEST = '` + ble.RequestUUID + `', RESPONSE = '` + ble.ResponseUUID + `';
  const shim = { writes: 0, dropWrite: 0, choosers: 0, maxWrite: 0, present: true };
  window.__bleShim = shim;
  const relay = (m) => window.__bleRelay(m);
  const b64 = (u8) => btoa(String.fromCharCode(...u8));
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const gone = () => new DOMException('GATT Server is disconnected. Cannot perform GATT operations.', 'NetworkError');
  class Characteristic extends EventTarget {
    constructor(service, uuid) { super(); this.service = service; this.uuid = uuid; this.value = null; }
    async writeValueWithoutResponse(v) {
      const gatt = this.service.device.gatt;
      if (this.uuid !== REQUEST) throw new DOMException('GATT operation not permitted.', 'NotSupportedError');
      if (!gatt.connected) throw gone();
      const u8 = ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
      // A write without response must fit one ATT PDU at the smallest MTU.
      if (u8.length > 20) throw new DOMException('value of ' + u8.length + ' bytes: over MTU 23', 'NotSupportedError');
      shim.writes++;
      shim.maxWrite = Math.max(shim.maxWrite, u8.length);
      if (shim.dropWrite && shim.writes === shim.dropWrite) return; // lost in the phone's stack, no error
      await relay({ op: 'write', conn: gatt.conn, data: b64(u8) });
    }
    async startNotifications() {
      const gatt = this.service.device.gatt;
      if (this.uuid !== RESPONSE) throw new DOMException('GATT operation not permitted.', 'NotSupportedError');
      const conn = gatt.conn;
      (async () => {
        for (;;) {
          const n = await relay({ op: 'next', conn });
          if (n.closed) { gatt.dropped(conn); return; }
          this.value = new DataView(unb64(n.data).buffer);
          this.dispatchEvent(new Event('characteristicvaluechanged'));
        }
      })();
      return this;
    }
  }
  class Service {
    constructor(device) { this.device = device; this.uuid = SERVICE; }
    async getCharacteristic(uuid) {
      if (!this.device.gatt.connected) throw gone();
      if (uuid !== REQUEST && uuid !== RESPONSE) throw new DOMException('No Characteristics matching UUID ' + uuid + ' found in Service.', 'NotFoundError');
      return new Characteristic(this, uuid);
    }
  }
  class Server {
    constructor(device) { this.device = device; this.connected = false; this.conn = 0; }
    async connect() {
      if (this.connected) return this;
      this.conn = (await relay({ op: 'connect' })).conn;
      this.connected = true;
      return this;
    }
    disconnect() {
      if (!this.connected) return;
      relay({ op: 'disconnect', conn: this.conn });
      this.dropped(this.conn);
    }
    dropped(conn) {
      if (!this.connected || conn !== this.conn) return;
      this.connected = false;
      this.device.dispatchEvent(new Event('gattserverdisconnected'));
    }
    async getPrimaryService(uuid) {
      if (!this.connected) throw gone();
      if (uuid !== SERVICE) throw new DOMException('No Services matching UUID ' + uuid + ' found in Device.', 'NotFoundError');
      return new Service(this.device);
    }
  }
  class Device extends EventTarget {
    constructor() { super(); this.id = 'hub'; this.name = 'edgeagent-hub'; this.gatt = new Server(this); }
  }
  const bluetooth = {
    async getAvailability() { return true; },
    async requestDevice(o) {
      // Chrome shows its chooser only in answer to a person's gesture.
      if (!navigator.userActivation.isActive) throw new DOMException('Must be handling a user gesture to show a permission request.', 'SecurityError');
      shim.choosers++;
      if (!o || !(o.filters || []).some((f) => (f.services || []).includes(SERVICE))) throw new DOMException('User cancelled the requestDevice() chooser.', 'NotFoundError');
      return new Device();
    }
  };
  Object.defineProperty(Navigator.prototype, 'bluetooth', { configurable: true, get: () => (shim.present ? bluetooth : undefined) });
})();`

// noBluetoothShim is a browser without Web Bluetooth (Safari on iPhone).
const noBluetoothShim = `Object.defineProperty(Navigator.prototype, 'bluetooth', { configurable: true, get: () => undefined });`

// webBT is the Go end of the shim: one ble.Server connection per
// gatt.connect of the page.
type webBT struct {
	srv *ble.Server
	mtu int // what the hub's side negotiated with the phone

	mu    sync.Mutex
	next  int
	links map[int]*relayLink
}

// relayLink is a ble.Link whose notifications wait for the page to ask.
type relayLink struct {
	conn  *ble.Conn
	notes chan []byte

	mu     sync.Mutex
	closed bool
}

func (l *relayLink) Notify(f []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ble.ErrClosed
	}
	select {
	case l.notes <- append([]byte(nil), f...):
		return nil
	default:
		return errors.New("relay: notification buffer full")
	}
}

func (l *relayLink) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.notes)
	}
}

type relayMsg struct {
	Op   string `json:"op"`
	Conn int    `json:"conn"`
	Data string `json:"data"`
}

type relayAnswer struct {
	Conn   int    `json:"conn,omitempty"`
	Data   string `json:"data,omitempty"`
	Closed bool   `json:"closed,omitempty"`
}

func (w *webBT) link(n int) (*relayLink, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.links[n]
	if l == nil {
		return nil, fmt.Errorf("relay: no connection %d", n)
	}
	return l, nil
}

func (w *webBT) relay(ctx context.Context, m relayMsg) (relayAnswer, error) {
	switch m.Op {
	case "connect":
		l := &relayLink{notes: make(chan []byte, 4096)}
		c, err := w.srv.Open(l, "web-bluetooth", w.mtu)
		if err != nil {
			return relayAnswer{}, err
		}
		l.conn = c
		w.mu.Lock()
		w.next++
		n := w.next
		w.links[n] = l
		w.mu.Unlock()
		return relayAnswer{Conn: n}, nil
	case "write":
		l, err := w.link(m.Conn)
		if err != nil {
			return relayAnswer{}, err
		}
		b, err := base64.StdEncoding.DecodeString(m.Data)
		if err != nil {
			return relayAnswer{}, err
		}
		return relayAnswer{}, l.conn.Receive(b)
	case "next":
		l, err := w.link(m.Conn)
		if err != nil {
			return relayAnswer{}, err
		}
		select {
		case n, ok := <-l.notes:
			if !ok {
				return relayAnswer{Closed: true}, nil
			}
			return relayAnswer{Data: base64.StdEncoding.EncodeToString(n)}, nil
		case <-ctx.Done():
			return relayAnswer{}, ctx.Err()
		}
	case "disconnect":
		l, err := w.link(m.Conn)
		if err != nil {
			return relayAnswer{}, err
		}
		l.conn.Close()
		l.Close()
		return relayAnswer{}, nil
	}
	return relayAnswer{}, fmt.Errorf("relay: unknown op %q", m.Op)
}

// bleServer is the hub's BLE side on the site's Keeper and devices, with
// a short frame timeout (a lost write shows in a second, not five).
func bleServer(t testing.TB, s *lanSite, lim ble.Limits) *ble.Server {
	t.Helper()
	if lim.FrameTimeout == 0 {
		lim.FrameTimeout = time.Second
	}
	srv, err := ble.NewServer(ble.ServerOptions{Keeper: s.keeper, Hub: s.hub, Site: "home", Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// withWebBluetooth gives the browser's pages the shim, relayed to srv at
// the ATT MTU mtu. Call it before the first navigation.
func withWebBluetooth(t testing.TB, ctx context.Context, srv *ble.Server, mtu int) *webBT {
	t.Helper()
	w := &webBT{srv: srv, mtu: mtu, links: map[int]*relayLink{}}
	if err := chromedp.Do(ctx, chromedp.ExposeFunc("__bleRelay", w.relay)); err != nil {
		t.Fatal(err)
	}
	addScript(t, ctx, webBluetoothShim)
	return w
}

func addScript(t testing.TB, ctx context.Context, src string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		t.Fatal(err)
	}
}

// decisions counts the decisions in the audit log.
func decisions(t *testing.T, s *lanSite) int {
	t.Helper()
	es, err := s.keeper.AuditEntries(0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Kind == "decision" {
			n++
		}
	}
	return n
}

// guestLink has the owner's browser (an owner of front-door and
// hall-light) give guestPub a two-day key to front-door, and returns the link.
func guestLink(t *testing.T, s *lanSite, owner context.Context, guestPub string) (link string, ownerGrant []byte) {
	t.Helper()
	_, ownerGrant = ownerKey(t, s, owner)
	chrome(t, owner, "a guest key to the front door",
		chromedp.SetValue(css("#guest-pub"), guestPub),
		chromedp.SetValue(css("#guest-name"), "gran"),
		chromedp.Click(css(`#guest-devices input[value="front-door"]`)),
		chromedp.SetValue(css("#guest-until"), localInput(time.Now().Add(48*time.Hour))),
		chromedp.Click(css("#guest-issue")),
		chromedp.WaitVisible(css("#guest-out")),
	)
	return eval[string](t, owner, `document.getElementById('guest-link').value`), ownerGrant
}

// TestBrowserBLEGuestUnlock: a guest outside the home network (the hub's
// HTTPS stopped) opens the owner's link in the installed app and unlocks
// over Bluetooth. A write lost mid-frame is a failure the app reports,
// with nothing decided and nothing moved; a device outside the delegation
// is refused with the reason shown.
func TestBrowserBLEGuestUnlock(t *testing.T) {
	s := startLANSite(t)
	srv := bleServer(t, s, ble.Limits{})
	guest := newChromium(t, "en-US,en;q=0.9")
	bt := withWebBluetooth(t, guest, srv, ble.MinMTU)
	// The guest made their key at the hub's page once (that is where the
	// app comes from), which installed it.
	guestPub := browserKeyPEM(t, guest, s.url)
	if !await[bool](t, guest, `EA.offline`) {
		t.Fatal("the app shell was not cached for offline use")
	}
	link, ownerGrant := guestLink(t, s, newChromium(t, "en-US,en;q=0.9"), guestPub)

	s.stopLAN()
	chrome(t, guest, "open the guest link away from the home network",
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(link),
		chromedp.WaitVisible(css(`#paths[data-path="ble"]`)),
		chromedp.WaitVisible(css(keyCard("front-door")+` button[data-action="unlock"]`)),
	)
	if n := eval[int](t, guest, `document.querySelectorAll('#key-devices article').length`); n != 1 {
		t.Errorf("offline, the guest sees %d devices, want front-door only", n)
	}
	if via := text(t, guest, "#key-via"); !strings.Contains(via, "Bluetooth") {
		t.Errorf("the key screen does not say its buttons use Bluetooth: %q", via)
	}

	// A write lost in the phone's stack, inside the action frame (the
	// challenge request before it is 3 writes): the hub never completes the
	// frame, drops the connection after its frame timeout, and the app says
	// the connection broke off.
	before := decisions(t, s)
	eval[int](t, guest, `__bleShim.dropWrite = __bleShim.writes + 8`)
	chrome(t, guest, "unlock with a write lost",
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(`#key-msg[data-code="ble_lost"]`)),
	)
	if msg := text(t, guest, "#key-msg"); !strings.Contains(msg, "broke off") {
		t.Errorf("after the lost write the app says %q", msg)
	}
	if n := decisions(t, s); n != before {
		t.Errorf("%d decisions after an incomplete frame, want none", n-before)
	}
	if st, _ := s.hub.Get("front-door"); st.State != "locked" {
		t.Errorf("the door is %s after an incomplete frame", st.State)
	}
	if c := srv.Counters(); c.Dropped != 1 || c.Decisions != 0 {
		t.Errorf("hub counters %+v: want the one connection dropped, no decision", c)
	}
	if w := eval[int](t, guest, `__bleShim.writes`); w <= 8 {
		t.Errorf("%d writes: the lost one was not inside the action frame", w)
	}

	// The next press reconnects to the hub chosen before (no chooser) and
	// unlocks.
	eval[int](t, guest, `__bleShim.dropWrite = 0`)
	w0 := eval[int](t, guest, `__bleShim.writes`)
	chrome(t, guest, "unlock over Bluetooth",
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(keyCard("front-door")+`[data-state="unlocked"]`)),
	)
	t.Logf("a guest's unlock over Web Bluetooth: %d writes of 20 bytes or less", eval[int](t, guest, `__bleShim.writes`)-w0)
	oinfo, err := localauth.ParseGrant(ownerGrant)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := wire.KeyIDOf(pemKey(t, guestPub))
	d := lastDecision(t, s)
	if !d.OK || d.Transport != localauth.TransportBLE || d.Device != "front-door" || d.Action != "unlock" || d.Role != "guest" ||
		d.Subject != "gran" || wire.IDFrom(d.Key) != kid || !strings.Contains(d.Detail, "delegated from grant "+oinfo.ID.String()) {
		t.Errorf("audit %+v: want gran's granted unlock over BLE by the browser's key %s, delegated from %s", d, kid, oinfo.ID)
	}
	if c := srv.Counters(); c.Decisions != 1 || c.Granted != 1 {
		t.Errorf("hub counters %+v: want one granted decision over BLE", c)
	}
	bt.mu.Lock()
	conns := bt.next
	bt.mu.Unlock()
	if conns != 2 {
		t.Errorf("%d GATT connections, want 2 (the one dropped, then one more)", conns)
	}
	if n := eval[int](t, guest, `__bleShim.choosers`); n != 1 {
		t.Errorf("the chooser was shown %d times, want once (the hub chosen is kept)", n)
	}
	if m := eval[int](t, guest, `__bleShim.maxWrite`); m != ble.WriteChunk(ble.MinMTU) {
		t.Errorf("writes of up to %d bytes, want %d (MTU 23)", m, ble.WriteChunk(ble.MinMTU))
	}

	// A device outside the delegation: the hub refuses, the app says why.
	light, _ := s.hub.Get("hall-light")
	code := await[string](t, guest, `EA.act('hall-light', 'on').then(r => r.data.error.code)`)
	if code != "device_not_allowed" {
		t.Errorf("the hub answered %q for a device outside the delegation", code)
	}
	if msg := text(t, guest, "#key-msg"); msg != "Your access does not cover this device." {
		t.Errorf("the refusal shows %q", msg)
	}
	if d := lastDecision(t, s); d.OK || d.Reason != "device_not_allowed" || d.Transport != localauth.TransportBLE {
		t.Errorf("audit of the refusal: %+v", d)
	}
	if after, _ := s.hub.Get("hall-light"); after.State != light.State {
		t.Errorf("the hall light went from %s to %s", light.State, after.State)
	}
}

// TestBrowserBLEFrameBytes: the frames the page writes are the bytes
// internal/ble's EncodeFrame makes for the same request.
func TestBrowserBLEFrameBytes(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "en-US,en;q=0.9")
	chrome(t, ctx, "open the app", chromedp.Navigate(s.url), chromedp.WaitVisible(css("#login")))
	chain := [][]byte{{0xd2, 1, 2, 3}, {0xd2, 4, 5}}
	proof := []byte{0xd2, 9, 9}
	for _, c := range []struct {
		name, js string
		typ      uint
		device   string
		body     any
	}{
		{"challenge request", `new Map([['device', 'front-door'], ['action', 'unlock']])`, ble.TypeChallengeRequest, "",
			wire.ChallengeRequest{Device: "front-door", Action: "unlock"}},
		{"action", `new Map([['action', 'unlock'], ['chain', [Uint8Array.of(0xd2, 1, 2, 3), Uint8Array.of(0xd2, 4, 5)]], ['proof', Uint8Array.of(0xd2, 9, 9)]])`,
			ble.TypeAction, "front-door", wire.ActionRequest{Action: "unlock", Chain: chain, Proof: proof}},
		{"action with a value", `new Map([['action', 'set-position'], ['value', '60'], ['chain', [Uint8Array.of(0xd2, 1, 2, 3)]], ['proof', Uint8Array.of(0xd2, 9, 9)]])`,
			ble.TypeAction, "curtain", wire.ActionRequest{Action: "set-position", Value: "60", Chain: chain[:1], Proof: proof}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const id = 0xdeadbeef
			want, err := ble.EncodeFrame(c.typ, id, c.device, c.body)
			if err != nil {
				t.Fatal(err)
			}
			got := eval[string](t, ctx, fmt.Sprintf(`EA.b64(EABLE.frame(%d, %d, %q, %s))`, c.typ, uint32(id), c.device, c.js))
			if got != base64.StdEncoding.EncodeToString(want) {
				t.Errorf("the page's frame\n %s\nGo's EncodeFrame\n %s", got, base64.StdEncoding.EncodeToString(want))
			}
		})
	}
}

// TestBrowserNoBluetoothOffline: a browser without Web Bluetooth (Safari
// on iPhone) away from the home network: the key's buttons are there
// (the grant's devices, from the cached catalogue, no state), and the app
// says in Korean that only the home Wi-Fi will do.
func TestBrowserNoBluetoothOffline(t *testing.T) {
	s := startLANSite(t)
	ctx := newChromium(t, "ko-KR,ko;q=0.9")
	addScript(t, ctx, noBluetoothShim)
	pub := browserKeyPEM(t, ctx, s.url)
	addGrant(t, ctx, base64.StdEncoding.EncodeToString(issueFor(t, s, pub, "--name", "olivia", "--role", "resident",
		"--devices", "front-door,hall-light", "--actions", "unlock,on,off")))
	if !await[bool](t, ctx, `EA.offline`) {
		t.Fatal("the app shell was not cached for offline use")
	}
	s.stopLAN()
	chrome(t, ctx, "open the app with the hub off",
		chromedp.Navigate(s.url),
		chromedp.WaitVisible(css(`#paths[data-path="none"]`)),
		chromedp.WaitVisible(css("#keyapp")),
	)
	if p := text(t, ctx, "#paths"); !strings.Contains(p, "블루투스가 없습니다") || !strings.Contains(p, "Wi-Fi") {
		t.Errorf("without Bluetooth or the LAN, the app says %q", p)
	}
	got := eval[[]string](t, ctx, `[...document.querySelectorAll('#key-devices article')].map(a => a.dataset.device + ':' + a.dataset.state + ':' +
		[...a.querySelectorAll('button')].map(b => b.dataset.action).join(','))`)
	if want := []string{"front-door::unlock", "hall-light::on,off"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("offline key cards %q, want %q (the grant's devices and actions, no state)", got, want)
	}
	chrome(t, ctx, "press unlock",
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(`#key-msg[data-code="ble_missing"]`)),
	)
	if msg := text(t, ctx, "#key-msg"); !strings.Contains(msg, "블루투스가 없습니다") {
		t.Errorf("pressing unlock without Bluetooth says %q", msg)
	}
}
