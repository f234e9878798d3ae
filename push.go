package redactor

import "github.com/redactor-go/redactor/actors"

// SkippedPushes returns how many RESP3 push frames the client's command
// connections read and skipped since New: data a node sent on its own
// (Config.Protocol 3), which no command ever gets as its reply. Each one is
// also published as an event (see Event) with an actors.PushSkipped. With Protocol 2 it stays 0.
func (c *Client) SkippedPushes() uint64 { return c.pushes.Load() }

// onPush counts a push frame a command connection to addr skipped and
// publishes it. It runs on the goroutine reading that connection, only
// when a push came.
func (c *Client) onPush(addr string, push []any) {
	c.pushes.Add(1)
	c.events.publish(&actors.PushSkipped{Addr: addr, Push: push})
}
