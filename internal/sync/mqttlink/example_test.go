package mqttlink_test

import (
	"fmt"

	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
)

// The default policy's windows: a full-jitter delay is uniform in [0, window).
func ExampleBackoff_Window() {
	var b mqttlink.Backoff
	for n := 1; n <= 9; n++ {
		fmt.Print(b.Window(n), " ")
	}
	fmt.Println()
	// Output:
	// 1s 2s 4s 8s 16s 32s 1m4s 2m0s 2m0s
}

// The largest MQTT packet the link reads with the default payload limit: a
// PUBLISH with the longest topic MQTT allows, a packet id and 128 KiB. A
// longer one drops the connection from its header, with this error.
func ExamplePacketLimit() {
	fmt.Println(mqttlink.PacketLimit(mqttlink.DefaultMaxPayload))
	err := &mqttlink.TooLargeError{Topic: "edgeagent/home-1/cmd", Size: 268_435_455, Limit: mqttlink.PacketLimit(mqttlink.DefaultMaxPayload)}
	fmt.Println(err)
	// Output:
	// 196611
	// mqttlink: inbound packet over the size limit: the broker began a 268435455-byte packet on "edgeagent/home-1/cmd" (limit 196611); connection dropped before reading it
}
