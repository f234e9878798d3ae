// Package actors holds redactor's actors: the coordinator, which splits a
// pipeline into one batch per node and gathers the replies, and the node
// actors, one per node, each owning that node's connections.
//
// # Flow of a pipeline
//
// A caller sends an *Exec to the coordinator. The coordinator finds each
// command's keys (from the server's command table), hashes them to a slot,
// and groups the commands by the master serving that slot, keeping each
// command's position. It then sends one batch to each node actor: all at once
// in Parallel mode, or one after another in Serial mode (the next batch only
// after the previous one's replies are in). A node actor writes its whole
// batch to its connection in one write and reads the replies straight into
// the pipeline's result slots, then tells the coordinator. When the last batch
// is done, the coordinator answers the Exec.
//
// The coordinator learns the slot map and the node actors from the topology
// actor (package topology), which spawns and supervises the node actors.
//
// # Extending
//
// Exec is an ordinary message: any actor of the client's actor system may
// send it to the coordinator, whose PID redactor.Client.Coordinator gives,
// with Request and receives the same *Exec back, filled in:
//
//	func (a *myActor) Receive(ctx actor.Context) {
//		switch msg := ctx.Message().(type) {
//		case *actor.Started:
//			ctx.Request(a.client.Coordinator(), &actors.Exec{
//				Commands: [][]string{{"INCR", "hits"}, {"GET", "hits"}},
//				Mode:     actors.Parallel,
//			})
//		case *actors.Exec:
//			use(msg.Results) // in queue order; msg.Err for the pipeline
//		}
//	}
//
// The client's events (topology.Loaded, NodeDown, Redirected, ...) reach
// actors through the actor system's EventStream as *redactor.Event.
package actors
