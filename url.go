package redactor

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseURL builds a Config from a URL of the forms
//
//	redis://[[user]:password@]host[:port][,host[:port]...][/0][?option=value&...]
//	rediss://... (the same, over TLS)
//
// Every host is a seed of Config.Addrs; a missing port is 6379. The user
// name and password go to Config.Username and Config.Password ("redis://:pw@h"
// is the password alone, for requirepass). rediss:// sets Config.TLS to a
// verifying configuration (the system's CA pool, TLS 1.2 or later); adjust
// it afterwards for a CA of your own or a client certificate. The path may
// only be empty or /0: a cluster has only database 0.
//
// The options, each at most once:
//
//	addr=host:port            one more seed (may repeat)
//	protocol=2|3              Config.Protocol
//	client_name=name          Config.ClientName
//	dial_timeout=5s           Config.DialTimeout (a Go duration, or seconds)
//	read_timeout=5s           Config.ReadTimeout (-1 for no limit)
//	write_timeout=5s          Config.WriteTimeout (-1 for no limit)
//	retry_timeout=10s         Config.RetryTimeout
//	max_redirects=5           Config.MaxRedirects
//	blocking_pool_size=8      Config.BlockingPoolSize
//	pipelines=serial|parallel Config.SerialPipelines
//	tls_server_name=name      Config.TLS.ServerName (rediss:// only)
//	insecure_skip_verify=true Config.TLS.InsecureSkipVerify (rediss://
//	                          only; it turns off certificate checks)
//
// Any other scheme or option is an error that wraps ErrInvalidConfig and
// never shows the password.
func ParseURL(rawURL string) (Config, error) {
	var cfg Config
	fail := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("%w: URL %q: %s", ErrInvalidConfig, redactURL(rawURL), fmt.Sprintf(format, args...))
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	switch {
	case !ok:
		return fail("not a URL: want redis://host:port or rediss://host:port")
	case scheme == "rediss":
		cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	case scheme != "redis":
		return fail("unknown scheme %q: want redis or rediss", scheme)
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	hosts := authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		hosts = authority[i+1:]
		// Let net/url decode the user information and the rest.
		tail = authority[:i+1] + "seed" + tail
	} else {
		tail = "seed" + tail
	}
	u, err := url.Parse("redis://" + tail)
	if err != nil {
		return fail("%v", redactErr(err, "redis://"+tail))
	}
	if u.Fragment != "" {
		return fail("a fragment (#...) means nothing here")
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	if p := strings.TrimPrefix(u.Path, "/"); p != "" && p != "0" {
		return fail("database %q: a cluster has only database 0", p)
	}
	for _, h := range strings.Split(hosts, ",") {
		addr, err := seedAddr(h)
		if err != nil {
			return fail("%v", err)
		}
		cfg.Addrs = append(cfg.Addrs, addr)
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("query: %v", err)
	}
	for name, values := range query {
		if name != "addr" && len(values) > 1 {
			return fail("option %s given %d times", name, len(values))
		}
		if err := applyURLOption(&cfg, name, values); err != nil {
			return fail("option %s: %v", name, err)
		}
	}
	return cfg, nil
}

// seedAddr returns h as host:port, with port 6379 when h has none.
func seedAddr(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("empty host")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: "host", or an IPv6 address in brackets.
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "6379"
		if strings.ContainsAny(host, "[]") {
			return "", fmt.Errorf("host %q: %w", h, err)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("host %q: port %q is not a port number", h, port)
	}
	if host == "" {
		return "", fmt.Errorf("host %q: empty host name", h)
	}
	return net.JoinHostPort(host, port), nil
}

// applyURLOption sets the Config field of one query option.
func applyURLOption(cfg *Config, name string, values []string) error {
	v := values[0]
	var err error
	switch name {
	case "addr":
		for _, v := range values {
			addr, err := seedAddr(v)
			if err != nil {
				return err
			}
			cfg.Addrs = append(cfg.Addrs, addr)
		}
	case "protocol":
		cfg.Protocol, err = strconv.Atoi(v)
	case "client_name":
		cfg.ClientName = v
	case "dial_timeout":
		cfg.DialTimeout, err = urlDuration(v)
	case "read_timeout":
		cfg.ReadTimeout, err = urlDuration(v)
	case "write_timeout":
		cfg.WriteTimeout, err = urlDuration(v)
	case "retry_timeout":
		cfg.RetryTimeout, err = urlDuration(v)
	case "max_redirects":
		cfg.MaxRedirects, err = strconv.Atoi(v)
	case "blocking_pool_size":
		cfg.BlockingPoolSize, err = strconv.Atoi(v)
	case "pipelines":
		switch v {
		case "serial":
			cfg.SerialPipelines = true
		case "parallel":
		default:
			return fmt.Errorf("%q: want serial or parallel", v)
		}
	case "tls_server_name", "insecure_skip_verify":
		if cfg.TLS == nil {
			return fmt.Errorf("only for rediss:// URLs")
		}
		if name == "tls_server_name" {
			cfg.TLS.ServerName = v
		} else {
			cfg.TLS.InsecureSkipVerify, err = strconv.ParseBool(v)
		}
	default:
		return fmt.Errorf("unknown option (see ParseURL's documentation)")
	}
	return err
}

// urlDuration parses a Go duration ("250ms") or a number of seconds ("5",
// "-1").
func urlDuration(v string) (time.Duration, error) {
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(secs * float64(time.Second)), nil
	}
	return time.ParseDuration(v)
}

// redactURL returns s with the password of a URL's user information
// replaced by "xxxxx", for error messages.
func redactURL(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return s
	}
	start := len(s) - len(rest)
	return s[:start] + user + ":xxxxx" + s[start+at:]
}

// redactErr returns err's text with rawURL's password hidden.
func redactErr(err error, rawURL string) string {
	return strings.ReplaceAll(err.Error(), rawURL, redactURL(rawURL))
}
