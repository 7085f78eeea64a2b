package cloud_test

import (
	"fmt"

	"github.com/edgeagent/edgeagent/internal/sync/cloud"
)

func ExampleNewTopics() {
	t := cloud.NewTopics("edgeagent", "home-1")
	fmt.Println(t.Evt)
	fmt.Println(t.Cmd)
	fmt.Println(t.Cred + "/#")
	// Output:
	// edgeagent/home-1/evt
	// edgeagent/home-1/cmd
	// edgeagent/home-1/cred/#
}
