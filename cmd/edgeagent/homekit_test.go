package main

// The HomeKit bridge through the built binary, driven by the independent
// controller (npm hap-controller): pair with the code `edgeagent homekit
// show` prints, drive devices, an unlock the config does not allow refused
// and audited; the pairing survives SIGKILL and a deleted store file;
// `edgeagent homekit reset` (agent stopped) forgets it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/homekit/hapctl"
	"github.com/edgeagent/edgeagent/internal/localauth"
)

// freeLoopbackPort returns a port nothing listens on at the moment.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func homekitShow(t *testing.T, cfgPath, dataDir string) homekit.Status {
	t.Helper()
	var out, stderr bytes.Buffer
	if code := Main([]string{"homekit", "show", "--config", cfgPath, "--data-dir", dataDir, "--json"}, nil, &out, &stderr); code != 0 {
		t.Fatalf("homekit show: exit %d: %s", code, stderr.String())
	}
	var st homekit.Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("homekit show --json %q: %v", out.String(), err)
	}
	return st
}

// startHomeKitAgent starts the agent and waits for the bridge to listen
// (after "ready": the bridge never delays local control).
func startHomeKitAgent(t *testing.T, cfgPath, dataDir string) *proc {
	t.Helper()
	a := startAgent(t, cfgPath, dataDir)
	waitFor(t, "the HomeKit bridge serving", func() bool { return strings.Contains(a.stderr.String(), "homekit: serving") })
	return a
}

func TestHomeKitThroughAgent(t *testing.T) {
	script := hapctl.Install(t)
	cfgPath, dataDir := newSite(t)
	port, metricsPort := freeLoopbackPort(t), freeLoopbackPort(t)
	for metricsPort == port {
		metricsPort = freeLoopbackPort(t)
	}
	cfg := testConfig + fmt.Sprintf("\n[homekit]\nenabled = true\nlisten = \"127.0.0.1:%d\"\ninterfaces = [\"lo\"]\nlights = [\"hall-light\"]\n", port) +
		fmt.Sprintf("\n[metrics]\nlisten = \"127.0.0.1:%d\"\n", metricsPort)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startHomeKitAgent(t, cfgPath, dataDir)
	st := homekitShow(t, cfgPath, dataDir)
	if !homekit.ValidSetupCode(strings.ReplaceAll(st.SetupCode, "-", "")) || !strings.HasPrefix(st.SetupURI, "X-HM://") || st.Paired {
		t.Fatalf("homekit show before pairing: %+v", st)
	}
	// The status root reads prints the same code and QR payload.
	if out := mustCLI(t, "", "status", "--data-dir", dataDir); !strings.Contains(out, "code "+st.SetupCode+", QR payload "+st.SetupURI) {
		t.Errorf("status lacks the setup code %s and payload %s:\n%s", st.SetupCode, st.SetupURI, out)
	}

	base := hapctl.Request{ID: st.DeviceID, Host: "127.0.0.1", Port: port}
	req := base
	req.Pin, req.Accessories = st.SetupCode, true
	db := hapctl.Run(t, script, req)
	if db.Error != "" || len(db.Pairing) == 0 {
		t.Fatalf("pair-setup: %+v", db)
	}
	aid := map[string]uint64{}
	for _, c := range db.Characteristics {
		if s, ok := c.Value.(string); ok && strings.HasPrefix(c.Type, "00000030-") {
			aid[s] = c.AID
		}
	}
	find := func(dev, typ string) hapctl.Ref {
		c, ok := db.Find(aid[dev], typ)
		if !ok {
			t.Fatalf("%s (aid %d) has no characteristic %s", dev, aid[dev], typ)
		}
		return hapctl.Ref{AID: c.AID, IID: c.IID}
	}
	req = base
	req.Pairing = db.Pairing
	req.Writes = []hapctl.Write{
		{Ref: find("hall-light", "25"), Value: true},
		{Ref: find("boiler", "35"), Value: 21.5},
		{Ref: find("front-door", "1E"), Value: 0}, // unlock: the default actions leave it out
	}
	req.Reads = []hapctl.Ref{find("front-door", "1E"), find("front-door", "1D")}
	resp := hapctl.Run(t, script, req)
	if resp.Error != "" || len(resp.Writes) != 3 || resp.Writes[0].Status != 0 || resp.Writes[1].Status != 0 || resp.Writes[2].Status != -70401 {
		t.Fatalf("session: %+v", resp)
	}
	if len(resp.Reads) != 2 || resp.Reads[0].Value != 1.0 || resp.Reads[1].Value != 1.0 {
		t.Errorf("lock target/current after the refused unlock: %+v, want secured (1)", resp.Reads)
	}
	if s := a.device("hall-light").State; s != "on" {
		t.Errorf("hall-light %s", s)
	}
	if sp := a.device("boiler").Attrs["setpoint"]; sp != 21.5 {
		t.Errorf("boiler setpoint %v", sp)
	}
	if s := a.device("front-door").State; s != "locked" {
		t.Fatalf("front-door %s after a refused unlock from HomeKit", s)
	}
	decisions := map[string]string{}
	for _, e := range a.events() {
		if e.Type == localauth.EventDecision && e.Data["detail"] == localauth.DetailPrincipal+"homekit" {
			if e.Data["name"] != "apple-home" || e.Data["role"] != "service" {
				t.Errorf("decision %v: want apple-home, service", e.Data)
			}
			decisions[fmt.Sprint(e.Device, "/", e.Data["action"])] = fmt.Sprint(e.Data["reason"])
		}
	}
	want := map[string]string{"hall-light/on": "granted", "boiler/set-setpoint": "granted", "front-door/unlock": "action_not_allowed"}
	if fmt.Sprint(decisions) != fmt.Sprint(want) {
		t.Errorf("decisions in the log %v, want %v", decisions, want)
	}
	// The writes are counted like Home Assistant's commands.
	m := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
	for result, n := range map[string]float64{"granted": 2, "denied": 1, "failed": 0} {
		if v := value(m, "edgeagent_homekit_commands_total", "result", result); v != n {
			t.Errorf("homekit_commands_total{%s} = %v, want %v", result, v, n)
		}
	}

	// SIGKILL, the store file lost (the agent starts with an empty store):
	// the controller still verifies; the code and id are the same.
	a.kill9()
	if err := os.Remove(filepath.Join(dataDir, "state.db")); err != nil {
		t.Fatal(err)
	}
	b := startHomeKitAgent(t, cfgPath, dataDir)
	if again := homekitShow(t, cfgPath, dataDir); again.SetupCode != st.SetupCode || again.DeviceID != st.DeviceID || again.Pairings != 1 {
		t.Fatalf("after kill -9 and a lost store: %+v, was %+v", again, st)
	}
	req = base
	req.Pairing = db.Pairing
	req.Reads = []hapctl.Ref{find("hall-light", "25")}
	if resp := hapctl.Run(t, script, req); resp.Error != "" || len(resp.Reads) != 1 {
		t.Fatalf("pair-verify after kill -9 and a lost store: %+v", resp)
	}

	// reset refuses while the agent runs, forgets once it is stopped.
	var out, stderr bytes.Buffer
	if code := Main([]string{"homekit", "reset", "--config", cfgPath, "--data-dir", dataDir}, nil, &out, &stderr); code == 0 {
		t.Fatalf("homekit reset with the agent running: exit 0 (%s)", out.String())
	}
	b.kill9()
	out.Reset()
	if code := Main([]string{"homekit", "reset", "--config", cfgPath, "--data-dir", dataDir}, nil, &out, &stderr); code != 0 || !strings.Contains(out.String(), "forgot 1 pairing") {
		t.Fatalf("homekit reset with the agent stopped: exit %d: %s %s", code, out.String(), stderr.String())
	}
	startHomeKitAgent(t, cfgPath, dataDir)
	if resp := hapctl.Run(t, script, req); resp.Error == "" || len(resp.Reads) != 0 {
		t.Errorf("pair-verify after homekit reset: %+v, want refused", resp)
	}
	if st := homekitShow(t, cfgPath, dataDir); st.Paired {
		t.Errorf("after reset: %+v", st)
	}
}
