// THIS FILE IS AUTO-GENERATED
package accessory

const (
	TypeUnknown            byte = 0
	TypeOther              byte = 1
	TypeBridge             byte = 2
	TypeFan                byte = 3
	TypeGarageDoorOpener   byte = 4
	TypeLightbulb          byte = 5
	TypeDoorLock           byte = 6
	TypeOutlet             byte = 7
	TypeSwitch             byte = 8
	TypeThermostat         byte = 9
	TypeSensor             byte = 10
	TypeSecuritySystem     byte = 11
	TypeDoor               byte = 12
	TypeWindow             byte = 13
	TypeWindowCovering     byte = 14
	TypeProgrammableSwitch byte = 15
	TypeIPCamera           byte = 17
	TypeVideoDoorbell      byte = 18
	TypeAirPurifier        byte = 19
	TypeHeater             byte = 20
	TypeAirConditioner     byte = 21
	TypeHumidifier         byte = 22
	TypeDehumidifier       byte = 23
	TypeSprinkler          byte = 28
	TypeFaucet             byte = 29
	TypeShowerSystem       byte = 30
	TypeTelevision         byte = 31
	TypeRemoteControl      byte = 32
)
