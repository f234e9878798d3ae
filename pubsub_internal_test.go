package redactor

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// TestMovedShardChannelDeliveredOnce has two connections of a subscription
// receive the same SPUBLISH of a shard channel, as when the channel moved
// to the new master's connection while the demoted master, now its
// replica, kept the old subscription and passes the message on: only the
// connection the channel is placed on delivers it.
func TestMovedShardChannelDeliveredOnce(t *testing.T) {
	s := &Subscription{c: &Client{}, mode: shardMode, msgs: make(chan *Message, 8),
		want: map[string]struct{}{"ch": {}}, events: make(chan any, 8), quit: make(chan struct{})}
	old, cur := newPSConn(t.Context(), s, "old:6379"), newPSConn(t.Context(), s, "new:6379")
	p := &placement{conn: old, confirmed: true}
	old.carry("ch")
	p.unplace("ch", assert.AnError) // its slot moved
	p.conn = cur
	cur.carry("ch")

	frame := resp.AppendCommand(nil, []string{"smessage", "ch", "42"})
	for _, pc := range []*psConn{old, cur} {
		client, server := net.Pipe()
		go func() {
			server.Write(frame)
			server.Close()
		}()
		require.Error(t, pc.read(client), "ends at EOF")
		client.Close()
	}
	require.Len(t, s.msgs, 1, "delivered once")
	assert.Equal(t, &Message{Kind: KindSMessage, Channel: "ch", Payload: "42"}, <-s.msgs)
}
