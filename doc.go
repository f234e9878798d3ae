// Package redactor is a Redis Cluster client built on actors, for pipelines
// that span the cluster.
//
// A pipeline's commands are grouped into one batch per master, and the
// batches go to the masters in parallel, so a pipeline costs one round trip to
// the slowest master instead of one per master. Results come back in the
// order the commands were queued, each with its own error.
//
//	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{"127.0.0.1:7000"}})
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//
//	p := c.Pipeline()
//	p.Do("SET", "user:{42}:name", "ada")
//	p.Do("GET", "user:{42}:name")
//	results, err := p.Exec(ctx)
//
// # Typed arguments and results
//
// Do takes strings; DoArgs also takes []byte, integers, floats and bool,
// sent as the text Redis parses, and refuses any other type in that
// command's own Result (ErrInvalidArgument) without sending it. A Result's
// accessors give its reply as a Go type: Text, Bytes, Int64, Float64, Bool,
// Slice and StringMap, each returning the command's own error first and
// ErrNil for a nil reply; they parse the numbers Redis sends as text (a
// ZSCORE of "1.5") and refuse other conversions with ErrUnexpectedType.
//
//	p.DoArgs("ZADD", "scores", 1.5, "ada")
//	p.DoArgs("ZSCORE", "scores", "ada")
//	results, err := p.Exec(ctx)
//	score, err := results[1].Float64() // 1.5
//
// # Parallel and serial pipelines
//
// Parallel is the default. Config.SerialPipelines makes the client send node
// batches one after another instead; WithParallel overrides the client's
// setting for one pipeline, either way.
//
// # Errors
//
// Exec's own error is for the pipeline as a whole: its context ended, the
// client is closed. Each command's error is in its Result: a *RedisError for
// an error reply of the server (match it with errors.As), ErrCrossSlot for a
// command whose keys span slots that cannot be split, and so on.
//
// # Multi-key commands across slots
//
// MGET, MSET, DEL, UNLINK, EXISTS and TOUCH whose keys span slots are split
// into one part per slot, sent with the rest of the pipeline, and merged
// into one Result in their place (MGET's values in the caller's key order,
// counts summed, MSET's OK). A split command is not atomic. When a part
// fails, the Result has no value and its error names the part's keys.
// MSETNX and commands in a transaction are never split. See
// docs/commands.md.
//
// # Commands that need more than the shared connection
//
// All callers share one pipelined connection per master, which must stay in
// its default state. A command that would change it (WATCH, SUBSCRIBE,
// CLIENT REPLY, HELLO, SELECT, QUIT, a MULTI without its EXEC) gets
// ErrNotPipelinable before any I/O; its text names the API to use instead:
//
//   - transactions: WithTx, or a MULTI ... EXEC block queued whole in one
//     pipeline; optimistic locking: Client.Watch;
//   - pub/sub: Client.Subscribe, Client.PSubscribe, Client.SSubscribe;
//   - blocking commands (BLPOP, XREAD BLOCK) run as usual, on connections
//     of their own (Config.BlockingPoolSize per node);
//   - commands for the whole cluster (DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD)
//     follow the server's COMMAND tips: they run on every master (or node)
//     and their replies are merged; SCAN: Client.Scan;
//   - commands that act on the node they reach (CONFIG REWRITE, CLUSTER
//     FAILOVER): Client.DoOn, Client.ForEachMaster, WithNode.
//
// docs/commands.md in the repository lists which command runs where.
//
// # Scripts
//
// NewScript makes a Lua script that Script.Run and Pipeline.Run send as
// EVALSHA, routed by its keys like any command. A call goes as EVAL to a
// node not yet known to hold the script, which loads it there without an
// extra round trip and keeps a pipeline's order; a NOSCRIPT (a restart,
// SCRIPT FLUSH, a failover) is re-sent as EVAL, so the caller gets the
// script's result. FCALL and FCALL_RO need nothing more: they are routed
// by their keys, and FUNCTION LOAD runs on every master.
//
// # Pub/Sub
//
// Client.Subscribe, Client.PSubscribe and Client.SSubscribe return a
// Subscription that runs on connections of its own. It keeps its channels
// subscribed where they live now (shard channels on their slot's master)
// through broken connections, failovers and slot migrations, and tells the
// consumer about each gap with a KindReconnected Message. Messages wait in a
// bounded buffer (Config.PubSubBufferSize); a slow consumer loses messages,
// counted by Subscription.Dropped, and never holds up anyone else.
//
// # Scan
//
// Client.Scan walks the keys of every master with SCAN and keeps SCAN's
// promise across slot migrations and failovers: a completed scan returned
// every key present for its whole duration at least once. A slot counts as
// scanned only when its master held it, with all its keys, from before its
// SCAN to after; other slots are scanned again where they are served then.
// ScanIterator.Cursor resumes a scan later, in any process.
//
// # Reading from replicas
//
// Config.ReadFrom sends read-only commands with keys to replicas
// (ReadReplicaPreferred) or to the node of least latency, master or replica
// (ReadNearest), on connections that sent READONLY. Writes and everything
// else stay on masters; a pipeline reads its own writes (a read of a slot
// the same pipeline writes runs on the master); a read a replica cannot
// serve runs on the master. Replicas lag their master, so a read may miss
// a write acknowledged earlier by another call. The default, ReadPrimary,
// reads from masters only.
//
// # Actors
//
// Under the API run protoactor-go actors (package actors and topology): a
// topology actor that loads the slot map and the server's command table, one
// node actor per node that owns its connections, and a coordinator that
// splits pipelines and gathers replies. Actors of your own send pipelines
// to Client.Coordinator as *actors.Exec messages; Observe and
// Config.OnEvent deliver the client's events; Config.OnBatch sees every
// node batch; Config.CoordinatorMiddleware and NodeMiddleware wrap the
// actors' Receive. See docs/extending.md.
//
// # Metrics
//
// Config.MeterProvider makes the client record OpenTelemetry metrics:
// db.client.operation.duration per pipeline (with the semantic
// conventions' db.operation.name and error.type), the duration and size
// of each node batch, redirects, retries, unknown outcomes and open
// connections per node. Without it no observer is installed. See
// docs/metrics.md.
package redactor
