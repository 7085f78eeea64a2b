package homeassistant

import "testing"

// The embedded broker's ACL: Home Assistant's login reads its topics and
// writes only commands and its birth message.
func TestBrokerACL(t *testing.T) {
	a := &access{o: BrokerOptions{User: "ha", Bridge: "bridge", Topics: Topics{Prefix: "edgeagent/home", Discovery: "homeassistant", Node: "home"}}}
	for _, c := range []struct {
		topic string
		write bool
		want  bool
	}{
		{"homeassistant/#", false, true},
		{"edgeagent/home/#", false, true},
		{"#", false, false},
		{"+/home/#", false, false},
		{"edgeagent/+/#", false, false},
		{"edgeagent/other/#", false, false},
		{"$SYS/#", false, false},
		{"edgeagent/home/front/set", true, true},
		{"edgeagent/home/boiler/setpoint/set", true, true},
		{"homeassistant/status", true, true},
		{"homeassistant/lock/home/front/config", true, false}, // rewriting discovery
		{"edgeagent/home/availability", true, false},          // saying the hub is offline
		{"edgeagent/home/front/state", true, false},           // faking a state
		{"edgeagent/home/a/b/c/set", true, false},
		{"edgeagent/other/front/set", true, false},
	} {
		cl := newClient("ha")
		if got := a.OnACLCheck(cl, c.topic, c.write); got != c.want {
			t.Errorf("ha %s write=%v: %v, want %v", c.topic, c.write, got, c.want)
		}
	}
	if !a.OnACLCheck(newClient("bridge"), "#", false) || a.OnACLCheck(newClient("someone"), "homeassistant/#", false) {
		t.Error("the bridge reads everything; an unknown user nothing")
	}
}
