// Package resp is redactor's RESP layer: it encodes commands, decodes replies
// into plain Go values while keeping every reply's error to itself, classifies
// the server's error replies (MOVED, ASK, TRYAGAIN, CROSSSLOT, ...), and reads
// the server's command table to find the keys of any command.
//
// # Values
//
// Every RESP2 and RESP3 type decodes to one Go type, whichever protocol
// the connection speaks:
//
//	RESP type                        Go value
//	simple string  +OK               string
//	bulk string    $5 hello          string (binary-safe)
//	verbatim       =8 txt:abcd       string, without its format ("abcd")
//	integer        :42               int64
//	double         ,1.5              float64 (inf, -inf, nan: ±Inf, NaN)
//	big number     (1234...          *big.Int
//	boolean        #t #f             bool
//	null           _  $-1  *-1       nil
//	array          *2 ...            []any
//	set            ~2 ...            []any, in the server's order
//	map            %2 ...            map[string]any
//	error          -ERR  !5 ERR x    *Error: the reply's error, or, inside
//	                                 an aggregate (EXEC's replies), its value
//	attribute      |1 ...            dropped: the value is the reply it
//	                                 annotates
//	push           >2 ...            never a value: skipped (Decoder.OnPush)
//
// A map key that is not a string is the text fmt.Sprint gives for its value:
// "1" for the integer 1, "2.5" for the double 2.5, "<nil>" for a null. Of two
// keys with one text, the later wins. Redis's own maps have string keys. A
// key that is an aggregate (an array, a set, a map), which RESP3 allows but
// only a script returning a table keyed by a table could make, is a
// protocol error (ErrProtocol): the texts of nested ones would take memory
// out of all proportion to the reply.
//
// The server sends a command's reply as a RESP2 or a RESP3 type by the
// protocol of the connection, so the Go value depends on it:
//
//	reply                            RESP2               RESP3
//	HGETALL, CONFIG GET, XINFO ...   []any{k, v, ...}    map[string]any
//	SMEMBERS, SINTER, SUNION         []any               []any (a set)
//	ZSCORE, ZINCRBY, ZADD INCR       string "1.5"        float64 1.5
//	ZMSCORE                          []any{"1.5", nil}   []any{1.5, nil}
//	ZRANGE ... WITHSCORES            []any{m, "1.5",...} []any{[]any{m, 1.5}, ...}
//	INFO, CLIENT LIST, CLUSTER NODES string              string (verbatim)
//	DEBUG PROTOCOL true              int64 1             bool true
//	DEBUG PROTOCOL bignum            string              *big.Int
//	GET of a missing key, BLPOP      nil                 nil
//	that timed out, EXEC aborted
//
// # Push frames
//
// A RESP3 push ('>') is data the server sends on its own, between replies
// (a client-side caching invalidation, a message of a subscription), never
// the reply of a command. ReadReply and Decoder read and skip it, and return
// the reply that follows; a Decoder hands it to OnPush first. A push inside
// an aggregate, which the protocol does not allow, is skipped the same way
// and is no element of it.
//
// # Reading and writing
//
// ReadReply reads one reply from a radix/v4 resp.BufferedReader, and
// AppendCommand encodes one command; together they let a radix
// resp.Marshaler/resp.Unmarshaler pair write a whole batch of commands at once
// and read every reply of it into its own place. A Decoder reads the replies
// of one stream (NewDecoder); each string it decodes is one allocation, its
// bytes and its interface box together, so a value a caller keeps pins
// nothing but itself.
//
// # Limits
//
// The reader trusts no length, count or nesting the server declares. It
// never recurses more than Limits.MaxReplyDepth levels (attributes and push
// frames in a row are read in a loop, and at most 16 attributes may precede
// a value), reserves little memory for what a length announces until the
// bytes come, and bounds every string (Limits.MaxBulkLen), every other line
// (64 KiB) and, when asked, a whole reply (Limits.MaxReplyBytes). Input
// beyond a limit fails with ErrProtocol, like any other malformed input:
// the stream is out of sync, and its connection must be closed.
package resp
