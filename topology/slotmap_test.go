package topology

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSlotMapZeroValue(t *testing.T) {
	empty, err := NewSlotMap(nil)
	require.NoError(t, err)
	for name, m := range map[string]*SlotMap{"zero value": {}, "no shards": empty} {
		t.Run(name, func(t *testing.T) {
			for _, slot := range []uint16{0, 1, 8192, SlotCount - 1} {
				_, ok := m.ShardIndex(slot)
				assert.False(t, ok, "slot %d", slot)
				assert.Empty(t, m.Master(slot), "slot %d", slot)
			}
			assert.Zero(t, m.Covered())
			assert.Empty(t, m.Shards())
		})
	}
}

func TestNewSlotMap(t *testing.T) {
	tests := []struct {
		name        string
		shards      []Shard
		wantCovered int
		wantErr     error
	}{
		{name: "no shards"},
		{name: "all slots", shards: []Shard{
			{Master: "a:1", Ranges: []SlotRange{{0, 8191}}},
			{Master: "b:1", Ranges: []SlotRange{{8192, 16383}}},
		}, wantCovered: SlotCount},
		{name: "gaps", shards: []Shard{
			{Master: "a:1", Ranges: []SlotRange{{0, 0}, {10, 19}}},
			{Master: "b:1", Ranges: []SlotRange{{16383, 16383}}},
		}, wantCovered: 12},
		{name: "shard without ranges", shards: []Shard{
			{Master: "a:1", Ranges: []SlotRange{{0, 99}}},
			{Master: "b:1"},
		}, wantCovered: 100},
		{name: "shards overlap", shards: []Shard{
			{Master: "a:1", Ranges: []SlotRange{{0, 100}}},
			{Master: "b:1", Ranges: []SlotRange{{100, 200}}},
		}, wantErr: ErrMalformedReply},
		{name: "ranges of one shard overlap", shards: []Shard{
			{Master: "a:1", Ranges: []SlotRange{{0, 100}, {50, 60}}},
		}, wantErr: ErrMalformedReply},
		{name: "reversed range", shards: []Shard{{Master: "a:1", Ranges: []SlotRange{{10, 5}}}}, wantErr: ErrMalformedReply},
		{name: "range past the last slot", shards: []Shard{{Master: "a:1", Ranges: []SlotRange{{16000, SlotCount}}}}, wantErr: ErrMalformedReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewSlotMap(tt.shards)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantCovered, m.Covered())
			assert.Equal(t, tt.shards, m.Shards())
		})
	}
}

func TestSlotMapShardIndex(t *testing.T) {
	m, err := NewSlotMap([]Shard{
		{Master: "a:1", Ranges: []SlotRange{{0, 99}, {200, 299}}},
		{Master: "b:1", Ranges: []SlotRange{{100, 199}}},
		{Master: "c:1", Ranges: []SlotRange{{16383, 16383}}},
	})
	require.NoError(t, err)
	tests := []struct {
		name      string
		slot      uint16
		wantIndex int
		wantOK    bool
	}{
		{name: "first slot", slot: 0, wantIndex: 0, wantOK: true},
		{name: "end of a range", slot: 99, wantIndex: 0, wantOK: true},
		{name: "start of the next shard", slot: 100, wantIndex: 1, wantOK: true},
		{name: "end of the next shard", slot: 199, wantIndex: 1, wantOK: true},
		{name: "second range of a shard", slot: 250, wantIndex: 0, wantOK: true},
		{name: "first uncovered slot", slot: 300},
		{name: "uncovered middle", slot: 8192},
		{name: "last slot", slot: SlotCount - 1, wantIndex: 2, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, ok := m.ShardIndex(tt.slot)
			assert.Equal(t, tt.wantOK, ok)
			if !tt.wantOK {
				assert.Empty(t, m.Master(tt.slot))
				return
			}
			assert.Equal(t, tt.wantIndex, i)
			assert.Equal(t, m.Shards()[tt.wantIndex].Master, m.Master(tt.slot))
		})
	}
}

func TestSlotMapEqual(t *testing.T) {
	build := func(shards ...Shard) *SlotMap {
		m, err := NewSlotMap(shards)
		require.NoError(t, err)
		return m
	}
	a := Shard{Master: "a:1", MasterID: "A", Replicas: []string{"a:2", "a:3"}, Ranges: []SlotRange{{0, 8191}}}
	b := Shard{Master: "b:1", MasterID: "B", Replicas: []string{"b:2"}, Ranges: []SlotRange{{8192, 16383}}}
	with := func(s Shard, change func(*Shard)) Shard {
		s.Replicas = append([]string(nil), s.Replicas...)
		s.Ranges = append([]SlotRange(nil), s.Ranges...)
		change(&s)
		return s
	}
	tests := []struct {
		name string
		x, y *SlotMap
		want bool
	}{
		{name: "both nil", want: true},
		{name: "nil and empty", x: build(), want: false},
		{name: "nil and a layout", x: build(a, b), want: false},
		{name: "zero value and no shards", x: &SlotMap{}, y: build(), want: true},
		{name: "itself", x: build(a, b), y: build(a, b), want: true},
		{name: "shards listed in another order", x: build(a, b), y: build(b, a), want: true},
		{name: "ranges split differently", x: build(a, b), y: build(with(a, func(s *Shard) {
			s.Ranges = []SlotRange{{0, 99}, {100, 8191}}
		}), b), want: true},
		{name: "only master IDs differ", x: build(a, b), y: build(with(a, func(s *Shard) { s.MasterID = "A2" }), b), want: true},
		{name: "one slot moved", x: build(a, b), y: build(
			with(a, func(s *Shard) { s.Ranges = []SlotRange{{0, 8192}} }),
			with(b, func(s *Shard) { s.Ranges = []SlotRange{{8193, 16383}} }),
		), want: false},
		{name: "one slot uncovered", x: build(a, b), y: build(a, with(b, func(s *Shard) { s.Ranges = []SlotRange{{8192, 16382}} })), want: false},
		{name: "master moved", x: build(a, b), y: build(a, with(b, func(s *Shard) { s.Master = "b:9" })), want: false},
		{name: "failover", x: build(a, b), y: build(a, with(b, func(s *Shard) { s.Master, s.Replicas = "b:2", []string{"b:1"} })), want: false},
		{name: "replica added", x: build(a, b), y: build(a, with(b, func(s *Shard) { s.Replicas = append(s.Replicas, "b:3") })), want: false},
		{name: "replica removed", x: build(a, b), y: build(with(a, func(s *Shard) { s.Replicas = s.Replicas[:1] }), b), want: false},
		{name: "last replica removed", x: build(a, b), y: build(a, with(b, func(s *Shard) { s.Replicas = nil })), want: false},
		{name: "replica moved", x: build(a, b), y: build(with(a, func(s *Shard) { s.Replicas[1] = "a:4" }), b), want: false},
		{name: "extra shard without slots", x: build(a, b), y: build(a, b, Shard{Master: "c:1"}), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.x.Equal(tt.y), "x.Equal(y)")
			assert.Equal(t, tt.want, tt.y.Equal(tt.x), "y.Equal(x)")
		})
	}
}

func TestSlotMapWithMoves(t *testing.T) {
	m, err := NewSlotMap([]Shard{
		{Master: "a:1", Ranges: []SlotRange{{First: 0, Last: 8191}}},
		{Master: "b:1", Ranges: []SlotRange{{First: 8192, Last: 16383}}},
	})
	require.NoError(t, err)

	assert.Same(t, m, m.WithMoves([]Move{{Slot: 1, Addr: "a:1"}}), "nothing moved: the same map")

	moved := m.WithMoves([]Move{{Slot: 1, Addr: "b:1"}, {Slot: 2, Addr: "c:1"}, {Slot: 3, Addr: "c:1"}})
	assert.Equal(t, "b:1", moved.Master(1))
	assert.Equal(t, "c:1", moved.Master(2), "an unknown master becomes a new shard")
	assert.Equal(t, "c:1", moved.Master(3))
	assert.Equal(t, "a:1", moved.Master(4))
	assert.Len(t, moved.Shards(), 3)

	assert.Equal(t, "a:1", m.Master(1), "the original map is unchanged")
	assert.Equal(t, "a:1", m.Master(2))
	assert.Len(t, m.Shards(), 2)
	assert.False(t, m.Equal(moved))
}
