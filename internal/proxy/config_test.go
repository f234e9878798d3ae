package proxy

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{name: "defaults", cfg: Config{Target: "127.0.0.1:6379"}},
		{name: "ipv6 loopback target", cfg: Config{Target: "[::1]:6379"}},
		{name: "missing target", cfg: Config{}, wantErr: ErrInvalidConfig},
		{name: "target without port", cfg: Config{Target: "127.0.0.1"}, wantErr: ErrInvalidConfig},
		{name: "target port zero", cfg: Config{Target: "127.0.0.1:0"}, wantErr: ErrInvalidConfig},
		{name: "target port too big", cfg: Config{Target: "127.0.0.1:70000"}, wantErr: ErrInvalidConfig},
		{name: "target not loopback", cfg: Config{Target: "10.0.0.1:6379"}, wantErr: ErrNotLoopback},
		{name: "target host name", cfg: Config{Target: "localhost:6379"}, wantErr: ErrNotLoopback},
		{name: "listen on all interfaces", cfg: Config{Target: "127.0.0.1:6379", Listen: "0.0.0.0:0"}, wantErr: ErrNotLoopback},
		{name: "listen empty host", cfg: Config{Target: "127.0.0.1:6379", Listen: ":0"}, wantErr: ErrNotLoopback},
		{name: "negative delay", cfg: Config{Target: "127.0.0.1:6379", Delay: -time.Millisecond}, wantErr: ErrInvalidConfig},
		{name: "negative dial timeout", cfg: Config{Target: "127.0.0.1:6379", DialTimeout: -1}, wantErr: ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.cfg
			p, err := Start(tt.cfg)
			assert.Equal(t, orig, tt.cfg, "Start must not change the caller's Config")
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.Truef(t, errors.Is(err, tt.wantErr), "want %v, got %v", tt.wantErr, err)
				assert.Nil(t, p)
				return
			}
			require.NoError(t, err)
			defer func() { require.NoError(t, p.Close()) }()
			assert.Regexp(t, `^127\.0\.0\.1:\d+$`, p.Addr())
			assert.NotZero(t, p.Port())
			assert.Equal(t, tt.cfg.Target, p.Target())
			assert.Zero(t, p.Delay())
		})
	}
}

func TestSetDelayClampsNegative(t *testing.T) {
	p := startProxy(t, Config{Target: "127.0.0.1:6379", Delay: time.Millisecond})
	assert.Equal(t, time.Millisecond, p.Delay())
	p.SetDelay(-time.Second)
	assert.Zero(t, p.Delay())
}
