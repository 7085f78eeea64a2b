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
