package topology

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRefreshGap(t *testing.T) {
	tests := []struct {
		name  string
		min   time.Duration
		quiet int
		want  time.Duration
	}{
		{name: "after a change", min: 100 * time.Millisecond, quiet: 0, want: 100 * time.Millisecond},
		{name: "one quiet load", min: 100 * time.Millisecond, quiet: 1, want: 200 * time.Millisecond},
		{name: "two quiet loads", min: 100 * time.Millisecond, quiet: 2, want: 400 * time.Millisecond},
		{name: "capped", min: 100 * time.Millisecond, quiet: 3, want: quietLoadsCap},
		{name: "many", min: 100 * time.Millisecond, quiet: 1 << 20, want: quietLoadsCap},
		{name: "a larger minimum stays", min: 2 * time.Second, quiet: 5, want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &topologyActor{cfg: ActorConfig{MinRefreshInterval: tt.min}, quietLoads: tt.quiet}
			assert.Equal(t, tt.want, a.refreshGap())
		})
	}
}
