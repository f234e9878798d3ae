package proxy

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// Config describes a Proxy. Every field except Target has a usable zero value.
type Config struct {
	// Target is the "127.0.0.1:port" address of the real node every accepted
	// link is forwarded to. Required; must be a loopback IP literal. It is not
	// dialled by Start, only for each accepted link.
	Target string
	// Listen is the loopback address to listen on. Empty means "127.0.0.1:0":
	// a free port picked by the kernel, see Proxy.Addr.
	Listen string
	// Delay is the one-way delay added to the data in each direction, so a
	// round trip grows by 2*Delay. Zero forwards without added latency;
	// negative is invalid. Proxy.SetDelay changes it at run time.
	Delay time.Duration
	// DialTimeout bounds the dial to Target made for each accepted link; when
	// it fails the client's connection is closed. Zero means 2s.
	DialTimeout time.Duration
}

const (
	defaultListen      = "127.0.0.1:0"
	defaultDialTimeout = 2 * time.Second
)

// withDefaults returns a copy of cfg with its zero values replaced by the
// defaults, or an error when cfg is invalid. cfg itself is never changed.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Listen == "" {
		cfg.Listen = defaultListen
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.Target == "" {
		return cfg, fmt.Errorf("%w: Target is required", ErrInvalidConfig)
	}
	if err := checkLoopback("Target", cfg.Target, false); err != nil {
		return cfg, err
	}
	if err := checkLoopback("Listen", cfg.Listen, true); err != nil {
		return cfg, err
	}
	if cfg.Delay < 0 {
		return cfg, fmt.Errorf("%w: Delay must not be negative, got %s", ErrInvalidConfig, cfg.Delay)
	}
	if cfg.DialTimeout < 0 {
		return cfg, fmt.Errorf("%w: DialTimeout must not be negative, got %s", ErrInvalidConfig, cfg.DialTimeout)
	}
	return cfg, nil
}

// checkLoopback returns an error unless addr is "ip:port" with a loopback IP
// literal and a valid port; port 0 is accepted only when zeroPortOK.
func checkLoopback(field, addr string, zeroPortOK bool) error {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %s %q: %w", ErrInvalidConfig, field, addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %s %q (want an IP literal such as 127.0.0.1)", ErrNotLoopback, field, addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 || (port == 0 && !zeroPortOK) {
		return fmt.Errorf("%w: %s %q has an invalid port", ErrInvalidConfig, field, addr)
	}
	return nil
}
