package liveness

import "errors"

// ErrStalled is wrapped by Check when a required loop missed its bound.
var ErrStalled = errors.New("liveness: a required loop stalled")
