package redactor

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/redactor-go/redactor/resp"
)

// TestReplyLimitsDefaults checks the defaults and the validation of the
// reply limits.
func TestReplyLimitsDefaults(t *testing.T) {
	addrs := []string{"127.0.0.1:7000"}
	tests := []struct {
		name    string
		cfg     Config
		want    resp.Limits
		wantErr error
	}{
		{name: "defaults", cfg: Config{Addrs: addrs},
			want: resp.Limits{MaxReplyDepth: 512, MaxBulkLen: 512 << 20}},
		{name: "set", cfg: Config{Addrs: addrs, MaxReplyDepth: 2000, MaxBulkLen: 1 << 30, MaxReplyBytes: 1 << 32},
			want: resp.Limits{MaxReplyDepth: 2000, MaxBulkLen: 1 << 30, MaxReplyBytes: 1 << 32}},
		{name: "depth at its limit", cfg: Config{Addrs: addrs, MaxReplyDepth: resp.MaxReplyDepthLimit},
			want: resp.Limits{MaxReplyDepth: resp.MaxReplyDepthLimit, MaxBulkLen: 512 << 20}},
		{name: "depth beyond its limit", cfg: Config{Addrs: addrs, MaxReplyDepth: resp.MaxReplyDepthLimit + 1}, wantErr: ErrInvalidConfig},
		{name: "negative depth", cfg: Config{Addrs: addrs, MaxReplyDepth: -1}, wantErr: ErrInvalidConfig},
		{name: "negative bulk", cfg: Config{Addrs: addrs, MaxBulkLen: -1}, wantErr: ErrInvalidConfig},
		{name: "negative reply bytes", cfg: Config{Addrs: addrs, MaxReplyBytes: -1}, wantErr: ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.cfg
			got, err := tt.cfg.withDefaults()
			assert.Equal(t, before.limits(), tt.cfg.limits(), "the caller's Config is unchanged")
			if tt.wantErr != nil {
				assert.True(t, errors.Is(err, tt.wantErr), "%v", err)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, got.limits())
		})
	}
}

// TestLayoutAddrTimeout checks the budget of each address of a layout
// load, after the defaults.
func TestLayoutAddrTimeout(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{name: "defaults", cfg: Config{}, want: 10 * time.Second},
		{name: "dial and read", cfg: Config{DialTimeout: 500 * time.Millisecond, ReadTimeout: 700 * time.Millisecond}, want: 1200 * time.Millisecond},
		{name: "no read timeout", cfg: Config{DialTimeout: 2 * time.Second, ReadTimeout: -1}, want: 4 * time.Second},
		{name: "at least 1s", cfg: Config{DialTimeout: 50 * time.Millisecond, ReadTimeout: 50 * time.Millisecond}, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Addrs = []string{"127.0.0.1:7000"}
			cfg, err := tt.cfg.withDefaults()
			assert.NoError(t, err)
			assert.Equal(t, tt.want, cfg.layoutAddrTimeout())
		})
	}
}
