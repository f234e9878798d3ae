package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// nameFloor labels the floor client, which is no column of the table.
const nameFloor = "floor"

// floorClient is the least a pipeline can cost: no client library (only
// redactor's RESP encoder and decoder), one raw connection per master, and
// the caller's goroutine writing each master's commands and then reading
// every reply, without a single hand-off to another goroutine. It knows the slot map from the start and
// follows no redirect (the latency workload's direct cluster never moves a
// slot). What the latency workload measures of it is the floor set by
// the kernel and the servers, which the other clients are quoted against.
type floorClient struct {
	owner [topology.SlotCount]*floorConn
	conns []*floorConn
	// batches lists the connections a pipeline uses, in order of first
	// use; scratch kept between pipelines.
	batches []*floorConn
}

// floorConn is one raw connection and what a pipeline queued on it.
type floorConn struct {
	nc   net.Conn
	d    *resp.Decoder
	buf  []byte
	sent []op
}

var _ client = (*floorClient)(nil)

// newFloor connects to every master of addrs and reads the slot map.
func newFloor(ctx context.Context, addrs []string) (*floorClient, error) {
	f := &floorClient{}
	byAddr := map[string]*floorConn{}
	var dialer net.Dialer
	for _, a := range addrs {
		nc, err := dialer.DialContext(ctx, "tcp", a)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("floor: %w", err), f.close())
		}
		fc := &floorConn{nc: nc, d: resp.NewDecoder(bufio.NewReaderSize(nc, 32<<10))}
		f.conns = append(f.conns, fc)
		byAddr[a] = fc
	}
	first := f.conns[0]
	first.buf = resp.AppendCommand(first.buf[:0], []string{"CLUSTER", "SLOTS"})
	if _, err := first.nc.Write(first.buf); err != nil {
		return nil, errors.Join(fmt.Errorf("floor: %w", err), f.close())
	}
	first.buf = first.buf[:0]
	v, err := first.d.Decode()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("floor: CLUSTER SLOTS: %w", err), f.close())
	}
	ranges, _ := v.([]any)
	for _, r := range ranges {
		r, _ := r.([]any)
		if len(r) < 3 {
			continue
		}
		lo, _ := r[0].(int64)
		hi, _ := r[1].(int64)
		m, _ := r[2].([]any)
		if len(m) < 2 {
			continue
		}
		host, _ := m[0].(string)
		port, _ := m[1].(int64)
		fc := byAddr[net.JoinHostPort(host, strconv.FormatInt(port, 10))]
		for s := lo; s <= hi && s < topology.SlotCount; s++ {
			f.owner[s] = fc
		}
	}
	for s, fc := range f.owner {
		if fc == nil {
			return nil, errors.Join(fmt.Errorf("floor: slot %d has no master among %v", s, addrs), f.close())
		}
	}
	return f, nil
}

func (f *floorClient) name() string { return nameFloor }

// pipeline writes each master's share of ops, then reads the replies, all
// on the caller's goroutine.
func (f *floorClient) pipeline(_ context.Context, ops []op) error {
	f.batches = f.batches[:0]
	for _, o := range ops {
		fc := f.owner[topology.Slot(o.key)]
		if len(fc.sent) == 0 {
			f.batches = append(f.batches, fc)
		}
		if o.set {
			fc.buf = resp.AppendCommand(fc.buf, []string{"SET", o.key, o.val()})
		} else {
			fc.buf = resp.AppendCommand(fc.buf, []string{"GET", o.key})
		}
		fc.sent = append(fc.sent, o)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, fc := range f.batches {
		fc.nc.SetDeadline(deadline)
		if _, err := fc.nc.Write(fc.buf); err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		fc.buf = fc.buf[:0]
	}
	for _, fc := range f.batches {
		for _, o := range fc.sent {
			v, err := fc.d.Decode()
			if err != nil {
				return fmt.Errorf("floor: %w", err)
			}
			if o.set {
				if v != "OK" {
					return fmt.Errorf("floor: SET %s: got %#v", o.key, v)
				}
			} else if err := checkGet(o, v); err != nil {
				return fmt.Errorf("floor: %w", err)
			}
		}
		clear(fc.sent)
		fc.sent = fc.sent[:0]
	}
	return nil
}

// do runs o as a pipeline of one; no workload measures it.
func (f *floorClient) do(ctx context.Context, o op) error { return f.pipeline(ctx, []op{o}) }

// close closes every connection.
func (f *floorClient) close() error {
	var errs []error
	for _, fc := range f.conns {
		errs = append(errs, fc.nc.Close())
	}
	return errors.Join(errs...)
}

// floorNote quotes each client's latency on the direct cluster against
// the floor's, measured in the same interleaved run, for the table's notes.
func (b *bench) floorNote() string {
	if b.floor == nil {
		return ""
	}
	f := b.floor
	note := fmt.Sprintf("floor (one goroutine, raw connections, write every master's commands then read every reply; direct, pipelines of %d):\n"+
		"  p50 %s, p99 %s (%d calls); per client, p50 and p99 as multiples of it:", f.pipeline, fmtDur(f.p50), fmtDur(f.p99), f.samples)
	for _, m := range b.results {
		if m.workload == "latency" && m.setting == f.setting {
			note += fmt.Sprintf(" %s %.2f/%.2f,", m.client, float64(m.p50)/float64(f.p50), float64(m.p99)/float64(f.p99))
		}
	}
	return note[:len(note)-1]
}
