// Package consistency checks that acknowledged writes survive a Redis
// Cluster and a redactor client, the way redis-rb-cluster's
// consistency-test.rb does: goroutines INCR counters and read them back,
// and every read is compared with what the INCR replies said.
//
// # The load
//
// Config.Keys counters are spread over all slots (key i hashes to slot
// i*16384/Keys). Each of Config.Workers goroutines owns every Workers-th
// key, so that no other goroutine changes its counters, and runs, again
// and again, a pipeline of Config.Pipeline INCRs of its keys followed by a
// pipeline of as many GETs, taken at random; one pipeline in two is sent
// in parallel across masters, the other serially (both modes).
//
// # What is counted
//
// For each key the checker keeps its acknowledged value, the highest value
// an INCR reply returned, and its unknown count: the INCRs that got
// redactor.ErrUnknownOutcome, or no outcome at all (the pipeline's own
// error, a deadline), which may or may not have run. Then:
//
//   - reads, writes: GETs and INCRs that got a reply;
//   - failed: commands that got an error that proves nothing ran
//     (redactor.ErrNotSent, an error reply such as CLUSTERDOWN, too many
//     redirects): they change no expectation;
//   - unknown: INCRs whose outcome is unknown, as above;
//   - lost: acknowledged increments the server no longer has. A GET that
//     returns less than the acknowledged value, or an INCR that returns
//     no more than it, lost the difference (only increments an INCR
//     acknowledged count: those that might have run are not lost). The key
//     starts again from the value the server has;
//   - unexpected: increments the server has beyond the acknowledged value
//     plus the key's unknown count (and those counted before): a command
//     that ran twice, or another writer of the keys;
//   - wrong: replies of the wrong type (not an integer).
//
// # Writes lost in a crash failover
//
// A master acknowledges a write before its replicas have it. When the
// master is killed (kill -9) and a replica is promoted, the writes it
// acknowledged in the last moments are gone: Redis itself drops them,
// whatever the client does. Crash tells the checker that the master
// serving some slots was killed between two instants. A lost increment is
// counted as crash-lost, apart from lost, when
//
//   - its key's slot is one of the slots of a master killed between "at"
//     and "done" (Crash), and
//   - the pipeline whose INCR acknowledged it started no earlier than
//     Config.CrashWindow (W, 1 s by default) before "at", and no later
//     than "done".
//
// The INCR ran after its pipeline started and before the master died, so
// every crash-lost increment ran on the killed master within W before its
// death: the replication window. Every other lost increment counts as
// lost; with a clean CLUSTER FAILOVER, a slot migration or a cut
// connection, lost must stay 0.
package consistency
