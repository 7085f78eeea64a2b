package secstate_test

import (
	"fmt"
	"os"

	"github.com/edgeagent/edgeagent/internal/secstate"
)

func Example() {
	dir, _ := os.MkdirTemp("", "secstate")
	defer os.RemoveAll(dir)
	d, _ := secstate.Open(dir)
	_ = d.Save("revocation", []byte("serial 5"))
	b, err := d.Load("revocation")
	fmt.Println(string(b), err)
	// Output: serial 5 <nil>
}
