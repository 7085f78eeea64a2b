package chunk_test

import (
	"bytes"
	"fmt"

	"github.com/edgeagent/edgeagent/internal/sync/chunk"
)

func ExampleSplit() {
	doc := bytes.Repeat([]byte("revoked "), 40_000) // 320 000 bytes
	parts, _ := chunk.Split(doc, 128<<10)
	fmt.Println(len(parts), "parts")

	var a chunk.Assembler
	for i := len(parts) - 1; i >= 0; i-- { // in any order
		if whole, _ := a.Add(parts[i]); whole != nil {
			fmt.Println("reassembled", len(whole), "bytes:", bytes.Equal(whole, doc))
		}
	}
	// Output:
	// 3 parts
	// reassembled 320000 bytes: true
}
