package topology

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

//go:generate go run ./testdata/gen/main.go

// parseFunc is ParseShards or ParseSlots.
type parseFunc func(reply any, fallbackHost string) (*SlotMap, error)

// seedHost stands for the host the client reached the answering node at. It
// differs from every address in the replies, so that a test sees whether it
// was used.
const seedHost = "seed.example"

// readRESPFixture decodes testdata/name, which must hold exactly one reply,
// with resp.ReadReply as production does.
func readRESPFixture(t testing.TB, name string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	br := bufio.NewReader(bytes.NewReader(data))
	reply, err := resp.ReadReply(br)
	require.NoError(t, err, name)
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "%s holds more than one reply", name)
	return reply
}

// fixtureCluster is testdata/cluster-7.0.json: the cluster the fixtures were
// captured from, as localcluster set it up (see testdata/gen).
type fixtureCluster struct {
	Redis  string `json:"redis"`
	Shards []struct {
		Master   string     `json:"master"`
		MasterID string     `json:"masterID"`
		Replicas []string   `json:"replicas"`
		Ranges   [][2]int64 `json:"ranges"`
	} `json:"shards"`
}

// wantFixtureShards returns the shards of the fixture cluster in slot order,
// with every node address "127.0.0.1:port" passed through addr.
func wantFixtureShards(t testing.TB, addr func(t testing.TB, port string) string) []Shard {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "cluster-7.0.json"))
	require.NoError(t, err)
	var c fixtureCluster
	require.NoError(t, json.Unmarshal(data, &c))
	require.Len(t, c.Shards, 3, "a 3-master cluster")
	conv := func(a string) string {
		host, port, err := net.SplitHostPort(a)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1", host)
		return addr(t, port)
	}
	var shards []Shard
	for _, s := range c.Shards {
		require.Len(t, s.Replicas, 1, "1 replica per master")
		sh := Shard{Master: conv(s.Master), MasterID: s.MasterID}
		for _, r := range s.Replicas {
			sh.Replicas = append(sh.Replicas, conv(r))
		}
		for _, r := range s.Ranges {
			sh.Ranges = append(sh.Ranges, SlotRange{First: uint16(r[0]), Last: uint16(r[1])})
		}
		shards = append(shards, sh)
	}
	return shards
}

// inSlotOrder returns a copy of shards sorted by first slot, with empty
// replica lists as nil, for comparisons.
func inSlotOrder(shards []Shard) []Shard {
	out := slices.Clone(shards)
	for i := range out {
		if len(out[i].Replicas) == 0 {
			out[i].Replicas = nil
		}
	}
	slices.SortFunc(out, func(a, b Shard) int {
		if len(a.Ranges) == 0 || len(b.Ranges) == 0 {
			return len(a.Ranges) - len(b.Ranges)
		}
		return int(a.Ranges[0].First) - int(b.Ranges[0].First)
	})
	return out
}

var (
	ipAddr       = func(_ testing.TB, port string) string { return net.JoinHostPort("127.0.0.1", port) }
	hostnameAddr = func(_ testing.TB, port string) string {
		return net.JoinHostPort("node-"+port+".redactor.test", port)
	}
	seedAddr = func(_ testing.TB, port string) string { return net.JoinHostPort(seedHost, port) }
)

// TestParseRealReplies parses the replies of a real 3-master x 1-replica
// Redis 7.0 cluster (testdata/gen).
func TestParseRealReplies(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		parse   parseFunc
		addr    func(t testing.TB, port string) string
		wantErr error
	}{
		{name: "SHARDS RESP2", file: "shards-7.0.resp", parse: ParseShards, addr: ipAddr},
		{name: "SHARDS RESP3", file: "shards-7.0-resp3.resp", parse: ParseShards, addr: ipAddr},
		{name: "SLOTS RESP2", file: "slots-7.0.resp", parse: ParseSlots, addr: ipAddr},
		{name: "SLOTS RESP3", file: "slots-7.0-resp3.resp", parse: ParseSlots, addr: ipAddr},
		{name: "SHARDS preferring hostnames", file: "shards-7.0-hostname.resp", parse: ParseShards, addr: hostnameAddr},
		{name: "SLOTS preferring hostnames", file: "slots-7.0-hostname.resp", parse: ParseSlots, addr: hostnameAddr},
		// cluster-preferred-endpoint-type unknown-endpoint: the server tells
		// clients to use the host they reached it at (SHARDS: endpoint "",
		// SLOTS: NULL host), e.g. behind NAT where the node's ip is private.
		{name: "SHARDS with unknown endpoints", file: "shards-7.0-unknown-endpoint.resp", parse: ParseShards, addr: seedAddr},
		{name: "SLOTS with unknown endpoints", file: "slots-7.0-unknown-endpoint.resp", parse: ParseSlots, addr: seedAddr},
		{name: "SHARDS reply read as SLOTS", file: "shards-7.0.resp", parse: ParseSlots, wantErr: ErrMalformedReply},
		{name: "SLOTS reply read as SHARDS", file: "slots-7.0.resp", parse: ParseShards, wantErr: ErrMalformedReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.parse(readRESPFixture(t, tt.file), seedHost)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, m)
				return
			}
			require.NoError(t, err)
			want := wantFixtureShards(t, tt.addr)
			got := inSlotOrder(m.Shards())
			for i, shard := range got {
				// Nodes that announce a host name are known by it.
				for _, addr := range append([]string{shard.Master}, shard.Replicas...) {
					host, _, _ := net.SplitHostPort(addr)
					if strings.HasSuffix(host, ".redactor.test") && strings.HasPrefix(tt.file, "shards") {
						assert.Equal(t, host, m.Hostname(addr))
					}
				}
				got[i].Hostnames = nil
			}
			assert.Equal(t, want, got)
			assert.Equal(t, SlotCount, m.Covered())
			var wantMasters, gotMasters []string
			for _, s := range want {
				r := s.Ranges[0]
				for _, slot := range []uint16{r.First, r.First + 1, (r.First + r.Last) / 2, r.Last} {
					wantMasters = append(wantMasters, s.Master)
					gotMasters = append(gotMasters, m.Master(slot))
				}
			}
			assert.Equal(t, wantMasters, gotMasters, "masters at the ends and middle of each range")
		})
	}
}

// TestParseRealRepliesAgree checks that both commands, over both protocols,
// describe the same cluster.
func TestParseRealRepliesAgree(t *testing.T) {
	type reply struct {
		file  string
		parse parseFunc
	}
	tests := []struct {
		name    string
		replies []reply
	}{
		{name: "ip endpoints", replies: []reply{
			{"shards-7.0.resp", ParseShards}, {"shards-7.0-resp3.resp", ParseShards},
			{"slots-7.0.resp", ParseSlots}, {"slots-7.0-resp3.resp", ParseSlots},
		}},
		{name: "hostname endpoints", replies: []reply{
			{"shards-7.0-hostname.resp", ParseShards}, {"slots-7.0-hostname.resp", ParseSlots},
		}},
		{name: "unknown endpoints", replies: []reply{
			{"shards-7.0-unknown-endpoint.resp", ParseShards}, {"slots-7.0-unknown-endpoint.resp", ParseSlots},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maps := make([]*SlotMap, len(tt.replies))
			for i, r := range tt.replies {
				var err error
				maps[i], err = r.parse(readRESPFixture(t, r.file), seedHost)
				require.NoError(t, err, r.file)
			}
			for i, a := range maps {
				for j, b := range maps {
					assert.True(t, a.Equal(b), "%s vs %s", tt.replies[i].file, tt.replies[j].file)
				}
			}
		})
	}
}

// shardsNode returns a CLUSTER SHARDS node as a RESP2 field list: an online
// node at 10.0.0.1:port with ID "id-port", changed by set (a nil value
// removes the field).
func shardsNode(role string, port int64, set ...any) []any {
	names := []string{"id", "port", "ip", "endpoint", "role", "health"}
	values := map[string]any{
		"id": fmt.Sprint("id-", port), "port": port, "ip": "10.0.0.1",
		"endpoint": "10.0.0.1", "role": role, "health": "online",
	}
	for i := 0; i+1 < len(set); i += 2 {
		name := set[i].(string)
		if _, ok := values[name]; !ok {
			names = append(names, name)
		}
		values[name] = set[i+1]
	}
	var fields []any
	for _, name := range names {
		if v := values[name]; v != nil {
			fields = append(fields, name, v)
		}
	}
	return fields
}

// shardsEntry returns a CLUSTER SHARDS shard as a RESP2 field list.
func shardsEntry(slots []any, nodes ...any) []any {
	return []any{"slots", slots, "nodes", nodes}
}

// asRESP3 turns a RESP2 field list into the map RESP3 sends instead.
func asRESP3(fields []any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

func TestParseShards(t *testing.T) {
	master := shardsNode("master", 7000)
	replica := shardsNode("replica", 7001)
	slots := []any{int64(0), int64(16383)}
	full := []SlotRange{{0, 16383}}
	tests := []struct {
		name     string
		reply    any
		fallback string // seedHost when empty
		want     []Shard
		wantErr  error
	}{
		{name: "master and replica", reply: []any{shardsEntry(slots, master, replica)},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Replicas: []string{"10.0.0.1:7001"}, Ranges: full}}},
		{name: "RESP3 maps", reply: []any{asRESP3(shardsEntry(slots, asRESP3(master), asRESP3(replica)))},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Replicas: []string{"10.0.0.1:7001"}, Ranges: full}}},
		{name: "empty reply", reply: []any{}},
		{name: "several ranges and shards, in server order", reply: []any{
			shardsEntry([]any{int64(100), int64(199), int64(0), int64(0)}, shardsNode("master", 7002)),
			shardsEntry([]any{int64(1), int64(99), int64(200), int64(200)}, master, replica),
		}, want: []Shard{
			{Master: "10.0.0.1:7002", MasterID: "id-7002", Ranges: []SlotRange{{100, 199}, {0, 0}}},
			{Master: "10.0.0.1:7000", MasterID: "id-7000", Replicas: []string{"10.0.0.1:7001"}, Ranges: []SlotRange{{1, 99}, {200, 200}}},
		}},
		{name: "empty endpoint uses the answering host", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "endpoint", ""))},
			want: []Shard{{Master: "seed.example:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "? endpoint uses the answering host", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "endpoint", "?"))},
			want: []Shard{{Master: "seed.example:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "no endpoint and no ip uses the answering host", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "endpoint", nil, "ip", nil))},
			want: []Shard{{Master: "seed.example:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "hostname endpoint", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "endpoint", "redis-0.example", "hostname", "redis-0.example"))},
			want: []Shard{{Master: "redis-0.example:7000", MasterID: "id-7000", Ranges: full,
				Hostnames: map[string]string{"redis-0.example:7000": "redis-0.example"}}}},
		{name: "ip endpoint wins over hostname, which names the node for TLS", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "hostname", "redis-0.example"))},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Ranges: full,
				Hostnames: map[string]string{"10.0.0.1:7000": "redis-0.example"}}}},
		{name: "IPv6 endpoint", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "endpoint", "::1", "ip", "::1"))},
			want: []Shard{{Master: "[::1]:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "IPv6 answering host", fallback: "::1", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "endpoint", "", "ip", ""))},
			want: []Shard{{Master: "[::1]:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "tls-port only", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "port", nil, "tls-port", int64(7443)))},
			want: []Shard{{Master: "10.0.0.1:7443", MasterID: "id-7000", Ranges: full}}},
		{name: "port wins over tls-port", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "tls-port", int64(7443)))},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Ranges: full}}},
		// Redis 7.0 says "loading" of every replica whose replication offset
		// is 0, such as the replica of an empty master: it is a replica.
		{name: "failed replicas skipped, loading ones kept", reply: []any{shardsEntry(slots, master,
			shardsNode("replica", 7001, "health", "fail"), shardsNode("replica", 7002, "health", "loading"), shardsNode("replica", 7003))},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Replicas: []string{"10.0.0.1:7002", "10.0.0.1:7003"}, Ranges: full}}},
		{name: "loading master leaves the shard out", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "health", "loading"), replica)}},
		{name: "node without health counts as online", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "health", nil))},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "failed master leaves the shard out", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "health", "fail"), replica)}},
		{name: "shard without master left out", reply: []any{shardsEntry(slots, replica)}},
		{name: "shard without nodes left out", reply: []any{[]any{"slots", slots}}},
		{name: "shard without slots left out", reply: []any{
			shardsEntry([]any{}, shardsNode("master", 7002)),
			[]any{"nodes", []any{shardsNode("master", 7004)}},
			shardsEntry(slots, master),
		}, want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "unknown fields ignored", reply: []any{append(shardsEntry(slots, shardsNode("master", 7000, "x-new", []any{int64(1)})), "x-other", nil)},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Ranges: full}}},

		{name: "overlapping shards", reply: []any{
			shardsEntry([]any{int64(0), int64(100)}, master),
			shardsEntry([]any{int64(100), int64(200)}, shardsNode("master", 7002)),
		}, wantErr: ErrMalformedReply},
		{name: "overlapping ranges in a shard", reply: []any{shardsEntry([]any{int64(0), int64(10), int64(5), int64(20)}, master)}, wantErr: ErrMalformedReply},
		{name: "slot past the last", reply: []any{shardsEntry([]any{int64(0), int64(16384)}, master)}, wantErr: ErrMalformedReply},
		{name: "negative slot", reply: []any{shardsEntry([]any{int64(-1), int64(5)}, master)}, wantErr: ErrMalformedReply},
		{name: "reversed range", reply: []any{shardsEntry([]any{int64(10), int64(5)}, master)}, wantErr: ErrMalformedReply},
		{name: "odd slot bounds", reply: []any{shardsEntry([]any{int64(0), int64(10), int64(20)}, master)}, wantErr: ErrMalformedReply},
		{name: "slot bound not an integer", reply: []any{shardsEntry([]any{"0", int64(10)}, master)}, wantErr: ErrMalformedReply},
		{name: "odd shard field list", reply: []any{[]any{"slots", slots, "nodes"}}, wantErr: ErrMalformedReply},
		{name: "odd node field list", reply: []any{shardsEntry(slots, append(shardsNode("master", 7000), "role"))}, wantErr: ErrMalformedReply},
		{name: "field name not a string", reply: []any{[]any{int64(1), slots}}, wantErr: ErrMalformedReply},
		{name: "reply not an array", reply: "OK", wantErr: ErrMalformedReply},
		{name: "nil reply", reply: nil, wantErr: ErrMalformedReply},
		{name: "shard not a field list", reply: []any{int64(1)}, wantErr: ErrMalformedReply},
		{name: "node not a field list", reply: []any{shardsEntry(slots, "10.0.0.1:7000")}, wantErr: ErrMalformedReply},
		{name: "node without port", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "port", nil))}, wantErr: ErrMalformedReply},
		{name: "port not an integer", reply: []any{shardsEntry(slots, shardsNode("master", 7000, "port", "7000"))}, wantErr: ErrMalformedReply},
		{name: "slots not an array", reply: []any{[]any{"slots", "0-16383", "nodes", []any{master}}}, wantErr: ErrMalformedReply},
		{name: "nodes not an array", reply: []any{[]any{"slots", slots, "nodes", "10.0.0.1:7000"}}, wantErr: ErrMalformedReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fallback := tt.fallback
			if fallback == "" {
				fallback = seedHost
			}
			m, err := ParseShards(tt.reply, fallback)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.Shards())
		})
	}
}

// slotsNode returns a CLUSTER SLOTS node: host, port, ID "id-port" and
// Redis 7's map of extra endpoints (empty).
func slotsNode(host any, port int64) []any {
	return []any{host, port, fmt.Sprint("id-", port), []any{}}
}

// slotsEntry returns a CLUSTER SLOTS entry: a range and its master, then
// replicas.
func slotsEntry(first, last int64, nodes ...any) []any {
	return append([]any{first, last}, nodes...)
}

func TestParseSlots(t *testing.T) {
	master, replica := slotsNode("10.0.0.1", 7000), slotsNode("10.0.0.1", 7001)
	full := []SlotRange{{0, 16383}}
	tests := []struct {
		name     string
		reply    any
		fallback string // seedHost when empty
		want     []Shard
		wantErr  error
	}{
		{name: "master and replica", reply: []any{slotsEntry(0, 16383, master, replica)},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Replicas: []string{"10.0.0.1:7001"}, Ranges: full}}},
		{name: "empty reply", reply: []any{}},
		{name: "server without node IDs", reply: []any{slotsEntry(0, 16383, []any{"10.0.0.1", int64(7000)})},
			want: []Shard{{Master: "10.0.0.1:7000", Ranges: full}}},
		{name: "several ranges of one master merge into one shard", reply: []any{
			slotsEntry(0, 99, master, replica),
			slotsEntry(200, 299, slotsNode("10.0.0.2", 7000)),
			slotsEntry(100, 199, master, replica),
			slotsEntry(300, 300, master, replica),
		}, want: []Shard{
			{Master: "10.0.0.1:7000", MasterID: "id-7000", Replicas: []string{"10.0.0.1:7001"}, Ranges: []SlotRange{{0, 99}, {100, 199}, {300, 300}}},
			{Master: "10.0.0.2:7000", MasterID: "id-7000", Ranges: []SlotRange{{200, 299}}},
		}},
		{name: "NULL host uses the answering host", reply: []any{slotsEntry(0, 16383, slotsNode(nil, 7000), slotsNode(nil, 7001))},
			want: []Shard{{Master: "seed.example:7000", MasterID: "id-7000", Replicas: []string{"seed.example:7001"}, Ranges: full}}},
		{name: "empty host uses the answering host", reply: []any{slotsEntry(0, 16383, slotsNode("", 7000))},
			want: []Shard{{Master: "seed.example:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "? host uses the answering host", reply: []any{slotsEntry(0, 16383, slotsNode("?", 7000))},
			want: []Shard{{Master: "seed.example:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "hostname", reply: []any{slotsEntry(0, 16383, slotsNode("redis-0.example", 7000))},
			want: []Shard{{Master: "redis-0.example:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "IPv6 host", reply: []any{slotsEntry(0, 16383, slotsNode("::1", 7000))},
			want: []Shard{{Master: "[::1]:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "IPv6 answering host", fallback: "::1", reply: []any{slotsEntry(0, 16383, slotsNode(nil, 7000))},
			want: []Shard{{Master: "[::1]:7000", MasterID: "id-7000", Ranges: full}}},
		{name: "RESP3 extra endpoints map", reply: []any{slotsEntry(0, 16383, []any{"10.0.0.1", int64(7000), "id-7000", map[string]any{"hostname": "redis-0.example"}})},
			want: []Shard{{Master: "10.0.0.1:7000", MasterID: "id-7000", Ranges: full}}},

		{name: "overlapping ranges", reply: []any{slotsEntry(0, 100, master), slotsEntry(100, 200, slotsNode("10.0.0.2", 7000))}, wantErr: ErrMalformedReply},
		{name: "range listed twice", reply: []any{slotsEntry(0, 100, master), slotsEntry(0, 100, master)}, wantErr: ErrMalformedReply},
		{name: "slot past the last", reply: []any{slotsEntry(16000, 16384, master)}, wantErr: ErrMalformedReply},
		{name: "negative slot", reply: []any{slotsEntry(-1, 5, master)}, wantErr: ErrMalformedReply},
		{name: "reversed range", reply: []any{slotsEntry(10, 5, master)}, wantErr: ErrMalformedReply},
		{name: "slot bound not an integer", reply: []any{[]any{"0", int64(10), master}}, wantErr: ErrMalformedReply},
		{name: "entry without nodes", reply: []any{[]any{int64(0), int64(10)}}, wantErr: ErrMalformedReply},
		{name: "entry not an array", reply: []any{"0-10"}, wantErr: ErrMalformedReply},
		{name: "node not an array", reply: []any{slotsEntry(0, 10, "10.0.0.1:7000")}, wantErr: ErrMalformedReply},
		{name: "node without port", reply: []any{slotsEntry(0, 10, []any{"10.0.0.1"})}, wantErr: ErrMalformedReply},
		{name: "port not an integer", reply: []any{slotsEntry(0, 10, []any{"10.0.0.1", "7000"})}, wantErr: ErrMalformedReply},
		{name: "bad replica", reply: []any{slotsEntry(0, 10, master, []any{"10.0.0.1", nil})}, wantErr: ErrMalformedReply},
		{name: "reply not an array", reply: "OK", wantErr: ErrMalformedReply},
		{name: "nil reply", reply: nil, wantErr: ErrMalformedReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fallback := tt.fallback
			if fallback == "" {
				fallback = seedHost
			}
			m, err := ParseSlots(tt.reply, fallback)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, inSlotOrder(m.Shards()))
		})
	}
}

// FuzzParse feeds any RESP reply to the parsers: they return a consistent
// SlotMap or ErrMalformedReply, and never panic.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"shards-7.0.resp", "shards-7.0-resp3.resp", "slots-7.0.resp", "slots-7.0-resp3.resp"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("*1\r\n*4\r\n:0\r\n:16383\r\n*2\r\n_\r\n:7000\r\n*2\r\n$9\r\n127.0.0.1\r\n:7001\r\n"))
	f.Add([]byte("*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:0\r\n$5\r\nnodes\r\n*1\r\n%2\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$4\r\nport\r\n:1\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reply, err := resp.ReadReply(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		for _, parse := range []parseFunc{ParseShards, ParseShardsTLS, ParseSlots} {
			m, err := parse(reply, seedHost)
			if err != nil {
				require.ErrorIs(t, err, ErrMalformedReply)
				continue
			}
			claimed := 0
			for _, s := range m.Shards() {
				require.NotEmpty(t, s.Master)
				for _, r := range s.Ranges {
					require.LessOrEqual(t, r.First, r.Last)
					require.Less(t, int(r.Last), SlotCount)
					claimed += int(r.Last-r.First) + 1
				}
			}
			require.Equal(t, claimed, m.Covered())
			for slot := range uint16(SlotCount) {
				i, ok := m.ShardIndex(slot)
				if ok {
					require.Equal(t, m.Shards()[i].Master, m.Master(slot))
				} else {
					require.Empty(t, m.Master(slot))
				}
			}
		}
	})
}

func TestParseShardsTLSPort(t *testing.T) {
	// A node with both a plain and a TLS port (tls-cluster yes, port not 0).
	reply := []any{[]any{
		"slots", []any{int64(0), int64(16383)},
		"nodes", []any{[]any{
			"id", "a", "port", int64(7000), "tls-port", int64(8000), "ip", "10.0.0.1",
			"endpoint", "10.0.0.1", "role", "master", "health", "online",
		}},
	}}
	plain, err := ParseShards(reply, "h")
	if err != nil {
		t.Fatal(err)
	}
	secure, err := ParseShardsTLS(reply, "h")
	if err != nil {
		t.Fatal(err)
	}
	if got := plain.Shards()[0].Master; got != "10.0.0.1:7000" {
		t.Errorf("plain client: master %q, want the plain port", got)
	}
	if got := secure.Shards()[0].Master; got != "10.0.0.1:8000" {
		t.Errorf("TLS client: master %q, want the tls-port", got)
	}
}
