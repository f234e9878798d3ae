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
// command whose keys span slots, and so on.
//
// # Actors
//
// Under the API run protoactor-go actors (package actors and topology): a
// topology actor that loads the slot map and the server's command table, one
// node actor per master that owns its connection, and a coordinator that
// splits pipelines and gathers replies.
package redactor
