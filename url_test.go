package redactor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		check   func(t *testing.T, cfg redactor.Config)
		wantErr string // a part of the error's text
	}{
		{name: "one seed", url: "redis://10.0.0.1:7000", check: func(t *testing.T, cfg redactor.Config) {
			assert.Equal(t, []string{"10.0.0.1:7000"}, cfg.Addrs)
			assert.Empty(t, cfg.Username)
			assert.Empty(t, cfg.Password)
			assert.Nil(t, cfg.TLS)
		}},
		{name: "seeds, default port, IPv6", url: "redis://a:7000,b,[::1]:7002,[::2]/0", check: func(t *testing.T, cfg redactor.Config) {
			assert.Equal(t, []string{"a:7000", "b:6379", "[::1]:7002", "[::2]:6379"}, cfg.Addrs)
		}},
		{name: "user and password", url: "redis://app:p%40ss:w@h:1", check: func(t *testing.T, cfg redactor.Config) {
			assert.Equal(t, "app", cfg.Username)
			assert.Equal(t, "p@ss:w", cfg.Password)
		}},
		{name: "password only", url: "redis://:pw@h:1", check: func(t *testing.T, cfg redactor.Config) {
			assert.Empty(t, cfg.Username)
			assert.Equal(t, "pw", cfg.Password)
		}},
		{name: "rediss verifies", url: "rediss://h:1", check: func(t *testing.T, cfg redactor.Config) {
			require.NotNil(t, cfg.TLS)
			assert.False(t, cfg.TLS.InsecureSkipVerify)
		}},
		{name: "options", url: "rediss://h:1?addr=h2:2&addr=h3:3&protocol=3&client_name=svc&dial_timeout=250ms&read_timeout=2&write_timeout=-1&retry_timeout=3s&max_redirects=7&blocking_pool_size=4&pipelines=serial&tls_server_name=redis.internal&insecure_skip_verify=true",
			check: func(t *testing.T, cfg redactor.Config) {
				assert.Equal(t, []string{"h:1", "h2:2", "h3:3"}, cfg.Addrs)
				assert.Equal(t, 3, cfg.Protocol)
				assert.Equal(t, "svc", cfg.ClientName)
				assert.Equal(t, 250*time.Millisecond, cfg.DialTimeout)
				assert.Equal(t, 2*time.Second, cfg.ReadTimeout)
				assert.Equal(t, -time.Second, cfg.WriteTimeout)
				assert.Equal(t, 3*time.Second, cfg.RetryTimeout)
				assert.Equal(t, 7, cfg.MaxRedirects)
				assert.Equal(t, 4, cfg.BlockingPoolSize)
				assert.True(t, cfg.SerialPipelines)
				assert.Equal(t, "redis.internal", cfg.TLS.ServerName)
				assert.True(t, cfg.TLS.InsecureSkipVerify)
			}},
		{name: "other scheme", url: "http://h:1", wantErr: `unknown scheme "http"`},
		{name: "unix scheme", url: "unix:///tmp/redis.sock", wantErr: `unknown scheme "unix"`},
		{name: "not a URL", url: "h:1", wantErr: "not a URL"},
		{name: "database", url: "redis://h:1/3", wantErr: "only database 0"},
		{name: "unknown option", url: "redis://h:1?db=0", wantErr: "option db: unknown option"},
		{name: "repeated option", url: "redis://h:1?protocol=2&protocol=3", wantErr: "given 2 times"},
		{name: "TLS option on redis", url: "redis://h:1?insecure_skip_verify=true", wantErr: "only for rediss"},
		{name: "bad port", url: "redis://h:99999", wantErr: "not a port number"},
		{name: "empty host", url: "redis://h:1,,h:2", wantErr: "empty host"},
		{name: "bad duration", url: "redis://h:1?dial_timeout=soon", wantErr: "option dial_timeout"},
		{name: "password hidden", url: "redis://u:topsecret@h:1?nope=1", wantErr: "u:xxxxx@h:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := redactor.ParseURL(tt.url)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, redactor.ErrInvalidConfig)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "topsecret")
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}

// TestNewRefusesBadConnectionSettings checks that settings that cannot work
// fail New before any I/O, with a clear error.
func TestNewRefusesBadConnectionSettings(t *testing.T) {
	tests := []struct {
		name    string
		cfg     redactor.Config
		wantErr string
	}{
		{name: "URL in Addrs", cfg: redactor.Config{Addrs: []string{"redis://:secret@h:1"}}, wantErr: "use ParseURL"},
		{name: "URL in Addrs hides the password", cfg: redactor.Config{Addrs: []string{"rediss://u:secret@h:1"}}, wantErr: "u:xxxxx@h:1"},
		{name: "no port", cfg: redactor.Config{Addrs: []string{"localhost"}}, wantErr: "not host:port"},
		{name: "unknown protocol", cfg: redactor.Config{Addrs: []string{"h:1"}, Protocol: 4}, wantErr: "Protocol 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redactor.New(context.Background(), tt.cfg)
			require.ErrorIs(t, err, redactor.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "secret@")
		})
	}
}
