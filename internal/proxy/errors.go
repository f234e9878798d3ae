package proxy

import "errors"

// ErrNotLoopback is returned (wrapped) by Start when Config.Target or
// Config.Listen is not a loopback IP literal such as "127.0.0.1:6379". The
// proxy never listens on, nor forwards to, anything but loopback.
var ErrNotLoopback = errors.New("proxy: address is not a loopback IP")

// ErrInvalidConfig is returned (wrapped) by Start for any other invalid
// Config setting: a missing Target, a malformed address or port, a negative
// duration.
var ErrInvalidConfig = errors.New("proxy: invalid config")
