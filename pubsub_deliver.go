package redactor

import (
	"errors"
	"slices"

	"github.com/asynkron/protoactor-go/actor"
)

// DeliverTo sends the subscription's messages, as *Message, to the actor
// pid (in the client's actor system, Config.ActorSystem) instead of
// Messages. The messages waiting in Messages are sent first, in order.
// DeliverTo(nil) delivers to Messages again.
//
// The actor's mailbox is then the buffer: give the actor a bounded mailbox
// that drops, such as
//
//	props := actor.PropsFromFunc(receive, actor.WithMailbox(actor.BoundedDropping(1024)))
//
// so a slow actor costs messages rather than memory. Its drops are not
// counted by Dropped. Do not use actor.Bounded, whose full mailbox blocks
// the sender: it would hold up this subscription's connections.
func (s *Subscription) DeliverTo(pid *actor.PID) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if s.outClosed {
		return
	}
	s.pid = pid
	if pid == nil {
		return
	}
	for drained := false; !drained; {
		select {
		case m := <-s.msgs:
			s.c.system.Root.Send(pid, m)
		default:
			drained = true
		}
	}
	if s.notice != nil {
		s.c.system.Root.Send(pid, s.notice)
		s.notice = nil
	}
}

// deliver hands m to the consumer without blocking: to the actor, or into
// the buffer. A message that finds the buffer full is dropped and counted;
// a notice is kept, merged with later ones, until there is room.
func (s *Subscription) deliver(m *Message) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if s.outClosed {
		return
	}
	if s.notice != nil {
		if !s.offer(s.notice) {
			if m.Kind == KindReconnected {
				s.notice = mergeNotices(s.notice, m)
			} else {
				s.dropped.Add(1)
			}
			return
		}
		s.notice = nil
	}
	if !s.offer(m) {
		if m.Kind == KindReconnected {
			s.notice = m
			return
		}
		s.dropped.Add(1)
	}
}

// flushNotice delivers a notice that is waiting for room, if there is room
// now.
func (s *Subscription) flushNotice() {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if !s.outClosed && s.notice != nil && s.offer(s.notice) {
		s.notice = nil
	}
}

// offer delivers m if it can at once. outMu is held.
func (s *Subscription) offer(m *Message) bool {
	if s.pid != nil {
		s.c.system.Root.Send(s.pid, m)
		return true
	}
	select {
	case s.msgs <- m:
		return true
	default:
		return false
	}
}

// mergeNotices returns one notice for the channels of both.
func mergeNotices(a, b *Message) *Message {
	channels := slices.Clone(a.Channels)
	for _, ch := range b.Channels {
		if !slices.Contains(channels, ch) {
			channels = append(channels, ch)
		}
	}
	return &Message{Kind: KindReconnected, Channels: channels, Reason: errors.Join(a.Reason, b.Reason)}
}
