package wire

// peekResult is what a socket holds, looked at without reading it.
type peekResult uint8

const (
	peekUnknown peekResult = iota // not a socket peek can look at
	peekEmpty                     // open, nothing to read
	peekData                      // bytes wait to be read
	peekClosed                    // the peer closed it, or it failed
)
