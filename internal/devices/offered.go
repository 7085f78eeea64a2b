package devices

// ResidentActions are what a person may do remotely per device kind (over
// the LAN API or BLE). The simulated inputs (press, door-open,
// set-temperature, ...) are left out even when a grant says "*": pressing
// a lock's exit button over the air would open the door by another name.
var ResidentActions = map[string][]string{
	"lock":   {"lock", "unlock"},
	"switch": {"on", "off", "toggle"},
	"boiler": {"on", "off", "set-setpoint"},
	"cover":  {"open", "close", "stop", "set-position"},

	KindDoor:        {"lock", "unlock"},
	KindCentralLock: {"lock", "unlock"},
	KindTrunk:       {"release"},
	KindDrive:       {"authorise", "rearm"},
	KindChargePort:  {"lock", "unlock"},
}
