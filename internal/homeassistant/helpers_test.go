package homeassistant

import mqtt "github.com/mochi-mqtt/server/v2"

func newClient(user string) *mqtt.Client {
	cl := &mqtt.Client{}
	cl.Properties.Username = []byte(user)
	return cl
}
