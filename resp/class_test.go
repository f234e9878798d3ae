package resp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommandClasses(t *testing.T) {
	for name, table := range loadTables(t) {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				args    []string
				class   Class
				refusal Refusal
			}{
				{[]string{"GET", "k"}, ClassPipelined, RefuseNone},
				{[]string{"PING"}, ClassPipelined, RefuseNone},
				{[]string{"BLPOP", "k", "0"}, ClassBlocking, RefuseNone},
				{[]string{"bzpopmin", "k", "1"}, ClassBlocking, RefuseNone},
				{[]string{"XREAD", "STREAMS", "s", "0"}, ClassBlockingOption, RefuseNone},
				{[]string{"MULTI"}, ClassMulti, RefuseNone},
				{[]string{"EXEC"}, ClassExec, RefuseNone},
				{[]string{"DISCARD"}, ClassExec, RefuseNone},
				{[]string{"WAIT", "1", "100"}, ClassWait, RefuseNone},
				{[]string{"WATCH", "k"}, ClassRefused, RefuseWatch},
				{[]string{"UNWATCH"}, ClassRefused, RefuseWatch},
				{[]string{"SUBSCRIBE", "c"}, ClassRefused, RefuseSubscribe},
				{[]string{"SSUBSCRIBE", "c"}, ClassRefused, RefuseSubscribe},
				{[]string{"PUNSUBSCRIBE"}, ClassRefused, RefuseSubscribe},
				{[]string{"HELLO", "3"}, ClassRefused, RefuseConnState},
				{[]string{"RESET"}, ClassRefused, RefuseConnState},
				{[]string{"QUIT"}, ClassRefused, RefuseConnState},
				{[]string{"SELECT", "1"}, ClassRefused, RefuseConnState},
				{[]string{"CLIENT", "REPLY", "SKIP"}, ClassRefused, RefuseConnState},
				{[]string{"CLIENT", "TRACKING", "on"}, ClassRefused, RefuseConnState},
				{[]string{"client", "setname", "x"}, ClassRefused, RefuseConnState},
				{[]string{"MONITOR"}, ClassRefused, RefuseMonitor},
				{[]string{"SCAN", "0"}, ClassRefused, RefuseScan},
				{[]string{"SHUTDOWN"}, ClassNodeSpecific, RefuseNone},
				{[]string{"CLUSTER", "FAILOVER"}, ClassNodeSpecific, RefuseNone},
				{[]string{"CONFIG", "REWRITE"}, ClassNodeSpecific, RefuseNone},
				{[]string{"CONFIG", "GET", "timeout"}, ClassPipelined, RefuseNone},
				{[]string{"CONFIG", "SET", "timeout", "0"}, ClassPipelined, RefuseNone},
				{[]string{"CLIENT", "ID"}, ClassPipelined, RefuseNone},
				{[]string{"PUBLISH", "c", "m"}, ClassPipelined, RefuseNone},
			}
			for _, tt := range tests {
				info, ok := table.Lookup(tt.args)
				require.True(t, ok, tt.args)
				assert.Equal(t, tt.class, info.Class, "%v", tt.args)
				assert.Equal(t, tt.refusal, info.Refusal, "%v", tt.args)
			}
		})
	}
}

func TestBlocks(t *testing.T) {
	table := loadTables(t)[fixtures[0]]
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"BLPOP", "k", "1"}, true},
		{[]string{"GET", "k"}, false},
		{[]string{"XREAD", "STREAMS", "s", "0"}, false},
		{[]string{"XREAD", "COUNT", "block", "STREAMS", "s", "0"}, false},
		{[]string{"XREAD", "STREAMS", "block", "0"}, false},
		{[]string{"xread", "block", "100", "STREAMS", "s", "0"}, true},
		{[]string{"XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "s", "$"}, true},
		{[]string{"XREADGROUP", "GROUP", "block", "c", "STREAMS", "s", ">"}, false},
		{[]string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "s", ">"}, true},
	}
	for _, tt := range tests {
		info, ok := table.Lookup(tt.args)
		require.True(t, ok)
		assert.Equal(t, tt.want, info.Blocks(tt.args), "%v", tt.args)
	}
}

func TestPolicies(t *testing.T) {
	for name, table := range loadTables(t) {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				args []string
				want Policy
			}{
				{[]string{"DBSIZE"}, Policy{RequestAllShards, ResponseAggSum}},
				{[]string{"KEYS", "*"}, Policy{RequestAllShards, ResponseDefault}},
				{[]string{"FLUSHALL"}, Policy{RequestAllShards, ResponseAllSucceeded}},
				{[]string{"SCRIPT", "LOAD", "return 1"}, Policy{RequestAllNodes, ResponseAllSucceeded}},
				{[]string{"SCRIPT", "EXISTS", "abc"}, Policy{RequestAllShards, ResponseAggLogicalAnd}},
				{[]string{"INFO"}, Policy{RequestAllShards, ResponseSpecial}},
				{[]string{"MGET", "a", "b"}, Policy{RequestMultiShard, ResponseDefault}},
				{[]string{"GET", "k"}, Policy{}},
				// Corrected by KnownPolicies.
				{[]string{"PING"}, Policy{}},
				{[]string{"MSETNX", "a", "1"}, Policy{}},
				{[]string{"RANDOMKEY"}, Policy{}},
				{[]string{"WAIT", "1", "0"}, Policy{}},
			}
			for _, tt := range tests {
				info, ok := table.Lookup(tt.args)
				require.True(t, ok, tt.args)
				assert.Equal(t, tt.want, info.Policy, "%v", tt.args)
			}
		})
	}
}

func TestWithPolicies(t *testing.T) {
	table := loadTables(t)[fixtures[0]]
	next := table.WithPolicies(map[string]Policy{
		"PING":          {RequestAllShards, ResponseAllSucceeded},
		"config|get":    {RequestAllNodes, ResponseSpecial},
		"nosuch":        {RequestAllShards, ResponseAggSum},
		"client|nosuch": {RequestAllShards, ResponseAggSum},
	})
	info, _ := next.Lookup([]string{"ping"})
	assert.Equal(t, Policy{RequestAllShards, ResponseAllSucceeded}, info.Policy)
	info, _ = next.Lookup([]string{"CONFIG", "GET", "x"})
	assert.Equal(t, Policy{RequestAllNodes, ResponseSpecial}, info.Policy)
	info, _ = next.Lookup([]string{"CONFIG", "SET", "x", "y"})
	assert.Equal(t, Policy{RequestAllNodes, ResponseAllSucceeded}, info.Policy, "siblings keep theirs")

	// The original is unchanged.
	info, _ = table.Lookup([]string{"ping"})
	assert.Equal(t, Policy{}, info.Policy)
	info, _ = table.Lookup([]string{"CONFIG", "GET", "x"})
	assert.Equal(t, Policy{}, info.Policy)
	assert.Same(t, table, table.WithPolicies(nil))
}
