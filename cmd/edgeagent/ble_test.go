package main

// End to end over Bluetooth LE with the binaries: the agent with [ble] on,
// pointed at a test's own dbus-daemon by DBUS_SYSTEM_BUS_ADDRESS (which
// godbus's ConnectSystemBus reads, as libdbus does), a fake BlueZ on that
// bus (internal/ble/bluetest), and `edgeagent ble-phone --bus` acting as
// the phone through the same fake.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/ble"
	"github.com/edgeagent/edgeagent/internal/ble/bluetest"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// bleSite writes the test config with [ble] enabled.
func bleSite(t *testing.T) (cfgPath, dataDir string) {
	t.Helper()
	cfgPath, dataDir = newSite(t)
	if err := os.WriteFile(cfgPath, []byte(testConfig+"\n[ble]\nenabled = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataDir
}

func TestBLEPhoneUnlocksThroughTheAgent(t *testing.T) {
	addr := bluetest.Daemon(t)
	fake := bluetest.Start(t, addr)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr) // the agent's "system bus"
	cfg, data := bleSite(t)
	dir := t.TempDir()
	authDir := filepath.Join(dir, "authority")
	if _, err := localauth.InitAuthority(authDir); err != nil {
		t.Fatal(err)
	}
	authority, err := localauth.LoadAuthority(authDir)
	if err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, cfg, data, "--authority", filepath.Join(authDir, localauth.AuthorityPubFile))
	ctx, cancel := context.WithTimeout(context.Background(), bluetest.Timeout)
	defer cancel()
	name, err := fake.WaitRegistered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := ble.AdvertisedName("edgeagent", "test-site"); name != want {
		t.Errorf("the agent advertises %q, want %q (a hash of the site id)", name, want)
	}

	// An owner, and a guest the owner delegated the hall light to.
	ownerKeyPath, _ := keyFiles(t, dir, "olga")
	ownerKey, err := localauth.LoadPrivateKey(ownerKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	ownerGrant, err := localauth.IssueGrant(authority, localauth.GrantSpec{
		Site: "test-site", Holder: ownerKey.Public(), Name: "olga", Role: wire.RoleOwner, Devices: []string{"*"},
		IssuedAt: time.Now().Add(-time.Hour), // valid by the hub's trusted-time floor, which starts at the build time
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.client.Import(ownerGrant); err != nil {
		t.Fatal(err)
	}
	ownerGrantPath := writeFile(t, filepath.Join(dir, "olga.grant"), ownerGrant)
	guestKeyPath, _ := keyFiles(t, dir, "gus")
	guestPub, err := localauth.LoadPublicKey(guestKeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	guestGrant, err := localauth.Delegate(ownerGrant, ownerKey, localauth.GrantSpec{
		Holder: guestPub, Name: "gus", Devices: []string{"hall-light"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	guestGrantPath := writeFile(t, filepath.Join(dir, "gus.grant"), guestGrant)

	phone := func(mtu int, args ...string) (string, string, int) {
		t.Helper()
		adapter := fake.AddPhone(mtu)
		return runBin(t, append([]string{"ble-phone", "--bus", addr, "--adapter", adapter, "--site", "test-site", "--timeout", "10s"}, args...)...)
	}

	out, errOut, code := phone(247, "--grant", ownerGrantPath, "--key", ownerKeyPath, "front-door", "unlock")
	if code != 0 || !strings.Contains(out, "front-door: unlocked") || !strings.Contains(out, "granted to olga (owner) over BLE") {
		t.Fatalf("ble-phone owner unlock: exit %d\n%s%s", code, out, errOut)
	}
	if s := a.device("front-door").State; s != "unlocked" {
		t.Errorf("front-door %s after the owner's BLE unlock", s)
	}

	// The guest's grant covers the hall light only: the door stays shut.
	a.do("front-door", "lock", "")
	out, errOut, code = phone(23, "--grant", guestGrantPath, "--owner-grant", ownerGrantPath, "--key", guestKeyPath, "front-door", "unlock")
	if code != 1 || !strings.Contains(errOut, "front-door unlock refused: device_not_allowed") {
		t.Errorf("ble-phone guest on the door: exit %d, want 1 with the reason\n%s%s", code, out, errOut)
	}
	if s := a.device("front-door").State; s != "locked" {
		t.Errorf("front-door %s after the guest's refused unlock", s)
	}

	// Both decisions audited, naming BLE as the transport.
	var audited []string
	for _, e := range a.events() {
		if e.Type == localauth.EventDecision {
			audited = append(audited, e.Data["name"].(string)+":"+e.Data["reason"].(string)+":"+e.Data["transport"].(string))
		}
	}
	if got := strings.Join(audited, ","); got != "olga:granted:ble,gus:device_not_allowed:ble" {
		t.Errorf("audited decisions %s", got)
	}

	st, err := a.client.Status()
	if err != nil {
		t.Fatal(err)
	}
	if b := st.BLE; b == nil || !b.On || b.Name != name || b.Adapter != "hci0" || b.Decisions != 2 || b.Granted != 1 {
		t.Errorf("status BLE %+v, want on as %s with 2 decisions, 1 granted", st.BLE, name)
	}
	out, _, _ = runBin(t, "status", "--data-dir", data)
	if want := "advertising as " + name + " on hci0"; !strings.Contains(out, want) || !strings.Contains(out, "2 decisions (1 granted)") {
		t.Errorf("edgeagent status does not say %q with the decisions:\n%s", want, out)
	}
}

// [ble] on, and no D-Bus at all: the agent serves everything else, and its
// status says why BLE is off.
func TestBLEOnWithoutBusStartsWithoutBLE(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	cfg, data := bleSite(t)
	a := startAgent(t, cfg, data)
	if s := a.do("hall-light", "on", ""); s.State != "on" {
		t.Errorf("hall-light %s after on", s.State)
	}
	st, err := a.client.Status()
	if err != nil {
		t.Fatal(err)
	}
	if b := st.BLE; b == nil || b.On || !strings.Contains(b.Reason, "no D-Bus system bus") || !strings.Contains(b.Reason, "no-bus") {
		t.Errorf("status BLE %+v, want off because there is no bus (naming it)", st.BLE)
	}
	out, _, code := runBin(t, "status", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "off: no D-Bus system bus") {
		t.Errorf("edgeagent status: exit %d\n%s", code, out)
	}
}

// Every [ble] limit reaches the server.
func TestBLELimitsFromConfig(t *testing.T) {
	got := bleLimits(config.BLE{MaxConnections: 2, MaxFrameBytes: 4096, FramesPerSecond: 3, WritesPerSecond: 100,
		IdleTimeout: config.Duration(time.Minute), FrameTimeout: config.Duration(2 * time.Second)})
	want := ble.Limits{MaxConnections: 2, MaxFrame: 4096, FramesPerSecond: 3, FragmentsPerSecond: 100, IdleTimeout: time.Minute, FrameTimeout: 2 * time.Second}
	if got != want {
		t.Errorf("limits %+v, want %+v", got, want)
	}
}
