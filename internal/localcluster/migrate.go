package localcluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mediocregopher/radix/v4/resp/resp3"
)

const (
	// moveBatchSlots is how many slots MoveSlots moves at once: each step of
	// a batch is one pipeline per node.
	moveBatchSlots = 128
	// migrateKeysPerCall bounds the keys of one GETKEYSINSLOT and one MIGRATE,
	// like redis-cli's --cluster-pipeline.
	migrateKeysPerCall = 100
	// migrateTimeout is MIGRATE's timeout for talking to the target, in ms.
	migrateTimeout = "2000"
	// maxErrors bounds how many errors of a batch end up in the error returned.
	maxErrors = 5
)

var (
	// ErrBusyKey is returned (wrapped, with the node's reply) by MigrateKeys
	// and MoveSlots when the target already holds a key being migrated:
	// MIGRATE is sent without REPLACE, so that no write is lost silently.
	ErrBusyKey = errors.New("localcluster: MIGRATE: key already exists on the target (BUSYKEY)")
	// ErrMigrateIO is returned (wrapped, with the node's reply) by MigrateKeys
	// and MoveSlots when the source could not talk to the target in time
	// (IOERR), e.g. because the target is down.
	ErrMigrateIO = errors.New("localcluster: MIGRATE: error or timeout talking to the target (IOERR)")
)

// migration is the move of slots from one master to another.
type migration struct {
	c        *Cluster
	slots    []int
	from, to *node
}

// newMigration checks the arguments of a move of slots.
func (c *Cluster) newMigration(slots []int, from, to string) (*migration, error) {
	for _, s := range slots {
		if err := checkSlot(s); err != nil {
			return nil, err
		}
	}
	if from == to {
		return nil, fmt.Errorf("localcluster: cannot move slots from %s to itself", from)
	}
	src, err := c.nodeByAddr(from)
	if err != nil {
		return nil, err
	}
	dst, err := c.nodeByAddr(to)
	if err != nil {
		return nil, err
	}
	if _, err := c.live(); err != nil {
		return nil, err
	}
	return &migration{c: c, slots: slots, from: src, to: dst}, nil
}

// String describes the migration in errors and logs.
func (m *migration) String() string {
	what := fmt.Sprintf("slot %d", m.slots[0])
	if len(m.slots) > 1 {
		what = fmt.Sprintf("%d slots (%d...%d)", len(m.slots), m.slots[0], m.slots[len(m.slots)-1])
	}
	return fmt.Sprintf("move %s from %s to %s", what, m.from.info.Addr, m.to.info.Addr)
}

// setSlot runs CLUSTER SETSLOT <slot> <args...> on n for every slot, in one
// pipeline.
func (m *migration) setSlot(ctx context.Context, n *node, args ...string) error {
	calls := make([]*call, len(m.slots))
	for i, s := range m.slots {
		calls[i] = newCall(nil, append([]string{"CLUSTER", "SETSLOT", strconv.Itoa(s)}, args...)...)
	}
	return m.wrap(n.client.pipeline(ctx, calls), calls)
}

// wrap returns the transport error err or the error replies of calls, joined
// (at most maxErrors of them) and prefixed with the migration.
func (m *migration) wrap(err error, calls []*call) error {
	if err == nil {
		var errs []error
		for _, cl := range calls {
			if cl.err != nil {
				errs = append(errs, cl.err)
			}
		}
		if len(errs) > maxErrors {
			errs = append(errs[:maxErrors], fmt.Errorf("and %d more errors", len(errs)-maxErrors))
		}
		err = errors.Join(errs...)
	}
	if err != nil {
		return fmt.Errorf("localcluster: %s: %w", m, err)
	}
	return nil
}

// begin marks the slots IMPORTING on the target, then MIGRATING on the
// source, in the order of redis-cli --cluster reshard: a client sent to the
// target by an ASK from the source always finds the slot importing there.
func (m *migration) begin(ctx context.Context) error {
	if err := m.setSlot(ctx, m.to, "IMPORTING", m.from.info.ID); err != nil {
		return err
	}
	return m.setSlot(ctx, m.from, "MIGRATING", m.to.info.ID)
}

// migrateKeys moves the keys of the slots from the source to the target until
// CLUSTER GETKEYSINSLOT finds none left on the source: writes to a migrating
// slot create no new key on the source (it answers ASK), so the loop ends. It
// returns how many keys it moved.
func (m *migration) migrateKeys(ctx context.Context) (int, error) {
	host, port := "127.0.0.1", strconv.Itoa(m.to.info.Port)
	moved := 0
	pending := m.slots
	for len(pending) > 0 {
		keys := make([][]string, len(pending))
		gets := make([]*call, len(pending))
		for i, s := range pending {
			gets[i] = newCall(&keys[i], "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(s), strconv.Itoa(migrateKeysPerCall))
		}
		if err := m.wrap(m.from.client.pipeline(ctx, gets), gets); err != nil {
			return moved, err
		}
		var next []int
		var migrates []*call
		for i, s := range pending {
			if len(keys[i]) == 0 {
				continue
			}
			next = append(next, s)
			args := append([]string{"MIGRATE", host, port, "", "0", migrateTimeout, "KEYS"}, keys[i]...)
			migrates = append(migrates, newCall(nil, args...))
			moved += len(keys[i])
		}
		err := m.from.client.pipeline(ctx, migrates)
		for _, cl := range migrates {
			if cl.err != nil {
				cl.err = classifyMigrateErr(cl.err)
			}
		}
		if err := m.wrap(err, migrates); err != nil {
			return moved, err
		}
		pending = next
	}
	return moved, nil
}

// classifyMigrateErr wraps ErrBusyKey or ErrMigrateIO around an error reply
// to MIGRATE that means the target holds the key or could not be reached. A
// BUSYKEY comes back as "ERR Target instance replied with error: BUSYKEY ...".
func classifyMigrateErr(err error) error {
	reply, ok := asType[resp3.SimpleError](err)
	if !ok {
		return err
	}
	code, rest, _ := strings.Cut(reply.S, " ")
	switch {
	case code == "IOERR":
		return fmt.Errorf("%w: %w", ErrMigrateIO, err)
	case code == "BUSYKEY" || strings.HasPrefix(rest, "Target instance replied with error: BUSYKEY"):
		return fmt.Errorf("%w: %w", ErrBusyKey, err)
	}
	return err
}

// finish assigns the slots to the target with CLUSTER SETSLOT NODE on the
// target, the source and then every other live master, as redis-cli does.
// The target goes first so that it owns the slots (bumping its config epoch,
// so that its claim wins) before the source starts sending MOVED there.
func (m *migration) finish(ctx context.Context) error {
	toID := m.to.info.ID
	if err := m.setSlot(ctx, m.to, "NODE", toID); err != nil {
		return err
	}
	if err := m.setSlot(ctx, m.from, "NODE", toID); err != nil {
		return err
	}
	var errs []error
	for _, n := range m.c.otherMasters(m.from, m.to) {
		errs = append(errs, m.setSlot(ctx, n, "NODE", toID))
	}
	return errors.Join(errs...)
}

// otherMasters returns the live masters (as last seen by Start, WaitHealthy,
// Refresh or Failover) other than from and to.
func (c *Cluster) otherMasters(from, to *node) []*node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var masters []*node
	for _, n := range c.nodes {
		if n != nil && n.info.Master && !n.info.Killed && n != from && n != to {
			masters = append(masters, n)
		}
	}
	return masters
}

// BeginMigration starts moving slot from the master at client address from
// to the master at to, without moving keys: CLUSTER SETSLOT IMPORTING on the
// target, then MIGRATING on the source. Meanwhile the source serves the keys
// it still holds and answers ASK for the others.
func (c *Cluster) BeginMigration(ctx context.Context, slot int, from, to string) error {
	m, err := c.newMigration([]int{slot}, from, to)
	if err != nil {
		return err
	}
	return m.begin(ctx)
}

// MigrateKeys moves every key of slot from the master at from to the master
// at to, with CLUSTER GETKEYSINSLOT and MIGRATE ... KEYS in batches, until
// the source holds none. The slot must be migrating (BeginMigration). MIGRATE
// runs without REPLACE: a key that exists on both fails with ErrBusyKey; a
// target that cannot be reached fails with ErrMigrateIO.
func (c *Cluster) MigrateKeys(ctx context.Context, slot int, from, to string) error {
	m, err := c.newMigration([]int{slot}, from, to)
	if err != nil {
		return err
	}
	_, err = m.migrateKeys(ctx)
	return err
}

// FinishMigration assigns slot to the master at to with CLUSTER SETSLOT
// <slot> NODE <id> on the target, the source and then every other live
// master, as redis-cli --cluster does; replicas learn it by gossip. It follows
// BeginMigration and MigrateKeys: the source refuses while it holds keys of
// the slot. Afterwards every master answers MOVED for the slot's keys.
func (c *Cluster) FinishMigration(ctx context.Context, slot int, from, to string) error {
	m, err := c.newMigration([]int{slot}, from, to)
	if err != nil {
		return err
	}
	return m.finish(ctx)
}

// MoveSlots moves slots from the master at client address from to the master
// at to: BeginMigration, MigrateKeys and FinishMigration for each slot. It
// works through the slots in the order given, in batches of up to 128 that go
// through each step together (one pipeline per node and step): moving 1,000
// slots typically takes well under a second. Clients may read and write the
// slots meanwhile: they get ASK, TRYAGAIN (multi-key commands over keys on
// both nodes) and then MOVED, and lose no write. On error the slots of the
// failed batch may be left migrating.
func (c *Cluster) MoveSlots(ctx context.Context, slots []int, from, to string) error {
	all, err := c.newMigration(slots, from, to)
	if err != nil || len(slots) == 0 {
		return err
	}
	begin := time.Now()
	moved := 0
	for batch := range slices.Chunk(slots, moveBatchSlots) {
		m := *all
		m.slots = batch
		if err := m.begin(ctx); err != nil {
			return err
		}
		n, err := m.migrateKeys(ctx)
		moved += n
		if err != nil {
			return err
		}
		if err := m.finish(ctx); err != nil {
			return err
		}
	}
	c.cfg.Logf("localcluster: moved %d slots (%d keys) from %s to %s in %s",
		len(slots), moved, from, to, time.Since(begin).Round(time.Millisecond))
	return nil
}
