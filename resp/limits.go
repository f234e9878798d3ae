package resp

import (
	"fmt"
	"math"
)

// Limits bound what a Decoder accepts from its stream, so that a broken or
// hostile server can neither crash the process (nesting without end) nor
// make it reserve memory for data it never sends (a length of two billion).
// A reply beyond a limit fails with ErrProtocol, and the stream must not be
// read further. The zero value of each field is its default.
type Limits struct {
	// MaxReplyDepth bounds how deeply aggregates (arrays, sets, maps, and
	// the attributes and push frames inside them) nest: 1 allows a flat
	// array. Redis nests a few levels (COMMAND DOCS); a script's reply
	// nests as deep as its Lua tables, and RedisJSON's JSON.RESP as deep
	// as its documents (128 at most). Default: DefaultMaxReplyDepth; at
	// most MaxReplyDepthLimit.
	MaxReplyDepth int
	// MaxBulkLen bounds the length in bytes of one string of a reply: a
	// bulk string, a verbatim string, a blob error, a simple string or an
	// error line. Default: DefaultMaxBulkLen, Redis's own
	// proto-max-bulk-len.
	MaxBulkLen int64
	// MaxReplyBytes, when positive, bounds the bytes of one reply, all its
	// elements and attributes included (each push frame counts on its
	// own). Default: 0, no bound beyond the others: Redis sends replies of
	// any size (KEYS, HGETALL of a large hash, LRANGE 0 -1).
	MaxReplyBytes int64
}

// Defaults and bounds of Limits.
const (
	// DefaultMaxReplyDepth is Limits.MaxReplyDepth's default.
	DefaultMaxReplyDepth = 512
	// MaxReplyDepthLimit is the largest Limits.MaxReplyDepth: the decoder
	// recurses once per level, and deeper nesting would take a deep stack.
	MaxReplyDepthLimit = 1 << 16
	// DefaultMaxBulkLen is Limits.MaxBulkLen's default: 512 MiB.
	DefaultMaxBulkLen = 512 << 20
)

// Bounds of the decoder that no server needs raised.
const (
	// maxAttributes bounds the attributes before one value: Redis sends
	// none, or one (DEBUG PROTOCOL attrib).
	maxAttributes = 16
	// maxNumberLine bounds the line of every type but a simple string or
	// an error: lengths, integers, doubles, big numbers (a big number of
	// 64K digits still parses in milliseconds), like Redis's own bound on
	// an inline request (PROTO_INLINE_MAX_SIZE).
	maxNumberLine = 64 << 10
	// maxAggregateLen bounds the elements of one aggregate.
	maxAggregateLen = math.MaxInt32
	// maxPrealloc caps the elements reserved up front for an aggregate,
	// so that nested aggregates declaring billions of elements reserve
	// little before their elements come; larger ones grow as they come.
	maxPrealloc = 1024
	// bulkStep is the largest bulk string allocated whole before its bytes
	// come; a larger one is allocated whole once its first bulkStep bytes
	// came, so that a length the server declares but does not send
	// reserves at most this much, and a large value costs one allocation
	// of its own size plus this first step (never a doubling).
	bulkStep = 8 << 20
)

// Validate reports a setting that cannot work: a negative one, or a
// MaxReplyDepth above MaxReplyDepthLimit.
func (l Limits) Validate() error {
	switch {
	case l.MaxReplyDepth < 0 || l.MaxReplyDepth > MaxReplyDepthLimit:
		return fmt.Errorf("MaxReplyDepth %d out of range [0, %d]", l.MaxReplyDepth, MaxReplyDepthLimit)
	case l.MaxBulkLen < 0:
		return fmt.Errorf("negative MaxBulkLen %d", l.MaxBulkLen)
	case l.MaxReplyBytes < 0:
		return fmt.Errorf("negative MaxReplyBytes %d", l.MaxReplyBytes)
	}
	return nil
}

// withDefaults returns l with the defaults of its zero fields, and a
// MaxReplyDepth beyond MaxReplyDepthLimit, or a negative field, brought
// back in range.
func (l Limits) withDefaults() Limits {
	switch {
	case l.MaxReplyDepth <= 0:
		l.MaxReplyDepth = DefaultMaxReplyDepth
	case l.MaxReplyDepth > MaxReplyDepthLimit:
		l.MaxReplyDepth = MaxReplyDepthLimit
	}
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	l.MaxReplyBytes = max(l.MaxReplyBytes, 0)
	return l
}
