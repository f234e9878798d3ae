// Package soak holds the soak test of redactor, behind the build tag soak
// so that neither CI nor make test runs it. Run it with make soak (10
// minutes; SOAK_DURATION=1m for a smoke run), or:
//
//	go test -tags soak -run TestSoak -v -timeout 0 ./internal/soak -soak.duration 10m
//
// It starts a local cluster of 3 masters with a replica each, every node
// behind a proxy that its announced port points to (clients and
// replication go through it), and runs, on one client, a mixed load:
//
//   - pipelines of 1 to 1,000 commands (SET and GET pairs, ECHO, MGET
//     across slots), parallel and serial, every reply checked;
//   - a subscriber of shard channels and a channel while a publisher
//     publishes sequence numbers: every message in order, and gaps only
//     where the subscription said it was interrupted (KindReconnected) or
//     a PUBLISH did not reach it;
//   - transactions (WithTx) incrementing two keys together, read back
//     together: always equal;
//   - BLPOP consumers of lists that producers RPUSH to: no element popped
//     twice, none missing;
//   - the counters of internal/consistency.
//
// Meanwhile a script, every few seconds at random, kills a master (kill -9,
// its replica is promoted, and the killed node restarts and rejoins as a
// replica), moves slots, fails a master over cleanly, cuts connections
// (all of a node's, or the next request's before its reply) and stalls a
// node (its proxy swallows everything for up to 3 s, then cuts).
//
// It passes with 0 wrong replies, 0 lost acknowledged writes except those a
// crash failover explains (acknowledged by a killed master within the crash
// window before its death, see internal/consistency), and goroutines and
// heap (after a GC) back within 10% of their level before the load. That
// level is taken after a warm-up in which every master fails over to its
// replica once, so that it includes what failovers leave behind (the
// client closes its connections to a master demoted to a replica, once
// idle, and the load keeps connections to the new masters).
//
// # Reading a failure
//
// The log has each fault with its time since the load started, the counts
// of each load with the first wrong replies and losses (with the times of
// the PUBLISH concerned), the layout loads that failed, and, when the
// levels differ, the goroutines that differ by function and every node's
// connections (CLIENT LIST: idle time, last command) before and after. The
// first call that hits its own deadline writes every goroutine's stack to a
// file of the temporary directory, and heap profiles of before and after
// are written there too (go tool pprof -base before after).
package soak
