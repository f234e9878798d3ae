//go:build ignore

// Command gen regenerates the CLUSTER SHARDS and CLUSTER SLOTS fixtures of the
// topology tests from a real cluster of 3 masters with 1 replica each, started
// with internal/localcluster. Run it from the module root:
//
//	go run ./topology/testdata/gen/main.go
//
// Every reply is stored as the exact bytes the server sent, so the tests decode
// it with resp.ReadReply like production does:
//
//	shards-V.resp, slots-V.resp               RESP2
//	shards-V-resp3.resp, slots-V-resp3.resp   RESP3 (HELLO 3 first)
//	shards-V-unknown-endpoint.resp, ...       cluster-preferred-endpoint-type unknown-endpoint
//	shards-V-hostname.resp, ...               cluster-preferred-endpoint-type hostname
//	cluster-V.json                            what localcluster set up: the expected shards
//
// V is the major.minor version of the server. Ports and node IDs change with
// every run; the tests read them from cluster-V.json.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/resp"
)

const (
	masters  = 3
	replicas = 1
	slots    = 16384
)

// expected is the content of cluster-V.json.
type expected struct {
	Redis      string          `json:"redis"`
	AnsweredBy string          `json:"answeredBy"`
	Shards     []expectedShard `json:"shards"`
}

type expectedShard struct {
	Master   string     `json:"master"`
	MasterID string     `json:"masterID"`
	Replicas []string   `json:"replicas"`
	Ranges   [][2]int64 `json:"ranges"`
}

// Hostname is the cluster-announce-hostname of the node listening on port.
// The tests compute the same names.
func hostname(port int) string { return "node-" + strconv.Itoa(port) + ".redactor.test" }

func main() {
	_, self, _, _ := runtime.Caller(0)
	dir := flag.String("dir", filepath.Dir(filepath.Dir(self)), "directory to write the fixtures to")
	flag.Parse()
	if err := run(*dir); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := localcluster.Start(ctx, localcluster.Config{Masters: masters, Replicas: replicas, Logf: log.Printf})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, c.Stop()) }()

	addr := c.Addrs()[0]
	resp2, err := dial(addr, false)
	if err != nil {
		return err
	}
	defer resp2.Close()
	resp3, err := dial(addr, true)
	if err != nil {
		return err
	}
	defer resp3.Close()

	want, err := expectation(c, resp2, addr)
	if err != nil {
		return err
	}
	// A replica counts as "online" in CLUSTER SHARDS only once the answering
	// node has heard of its replication offset: wait for that.
	if err := waitFor(ctx, "all nodes online in CLUSTER SHARDS", func() error {
		return allOnline(resp2, masters*(1+replicas), nil)
	}); err != nil {
		return err
	}

	v := want.Redis[:strings.LastIndexByte(want.Redis, '.')]
	files := map[string][]byte{}
	for _, capture := range []struct {
		suffix string
		conn   *conn
	}{{"", resp2}, {"-resp3", resp3}} {
		for _, cmd := range []string{"SHARDS", "SLOTS"} {
			raw, _, err := capture.conn.do("CLUSTER", cmd)
			if err != nil {
				return err
			}
			files[strings.ToLower(cmd)+"-"+v+capture.suffix+".resp"] = raw
		}
	}

	// The same node, configured to tell clients to use the host they
	// connected to.
	if _, _, err := resp2.do("CONFIG", "SET", "cluster-preferred-endpoint-type", "unknown-endpoint"); err != nil {
		return err
	}
	for _, cmd := range []string{"SHARDS", "SLOTS"} {
		raw, _, err := resp2.do("CLUSTER", cmd)
		if err != nil {
			return err
		}
		files[strings.ToLower(cmd)+"-"+v+"-unknown-endpoint.resp"] = raw
	}

	// Every node announces a hostname; the answering node prefers them.
	for _, n := range c.Nodes() {
		nc, err := dial(n.Addr, false)
		if err != nil {
			return err
		}
		_, _, err = nc.do("CONFIG", "SET", "cluster-announce-hostname", hostname(n.Port))
		nc.Close()
		if err != nil {
			return err
		}
	}
	if _, _, err := resp2.do("CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"); err != nil {
		return err
	}
	if err := waitFor(ctx, "all hostnames known", func() error {
		return allOnline(resp2, masters*(1+replicas), func(endpoint string) bool {
			return strings.HasSuffix(endpoint, ".redactor.test")
		})
	}); err != nil {
		return err
	}
	for _, cmd := range []string{"SHARDS", "SLOTS"} {
		raw, _, err := resp2.do("CLUSTER", cmd)
		if err != nil {
			return err
		}
		files[strings.ToLower(cmd)+"-"+v+"-hostname.resp"] = raw
	}

	js, err := json.MarshalIndent(want, "", "\t")
	if err != nil {
		return err
	}
	files["cluster-"+v+".json"] = append(js, '\n')
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
		log.Printf("wrote %s (%d bytes)", filepath.Join(dir, name), len(data))
	}
	return nil
}

// expectation describes the shards as localcluster set them up: master i
// serves [i*16384/masters, (i+1)*16384/masters) (see localcluster's
// assignSlots), and Nodes tells the replicas of each master.
func expectation(c *localcluster.Cluster, cn *conn, addr string) (expected, error) {
	_, info, err := cn.do("INFO", "server")
	if err != nil {
		return expected{}, err
	}
	s, _ := info.(string)
	var version string
	for line := range strings.SplitSeq(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, "redis_version:"); ok {
			version = v
		}
	}
	if version == "" {
		return expected{}, fmt.Errorf("no redis_version in INFO server: %q", s)
	}
	want := expected{Redis: version, AnsweredBy: addr}
	nodes := c.Nodes()
	for i, a := range c.Addrs() {
		sh := expectedShard{
			Master:   a,
			Replicas: []string{},
			Ranges:   [][2]int64{{int64(i * slots / masters), int64((i+1)*slots/masters - 1)}},
		}
		for _, n := range nodes {
			if n.Addr == a {
				sh.MasterID = n.ID
			}
		}
		for _, n := range nodes {
			if !n.Master && n.MasterID == sh.MasterID {
				sh.Replicas = append(sh.Replicas, n.Addr)
			}
		}
		want.Shards = append(want.Shards, sh)
	}
	return want, nil
}

// allOnline checks that CLUSTER SHARDS lists n nodes, all online and, when
// endpointOK is set, all with an endpoint it accepts.
func allOnline(cn *conn, n int, endpointOK func(string) bool) error {
	_, reply, err := cn.do("CLUSTER", "SHARDS")
	if err != nil {
		return err
	}
	shards, _ := reply.([]any)
	seen := 0
	for _, s := range shards {
		nodes, _ := fields(s)["nodes"].([]any)
		for _, node := range nodes {
			f := fields(node)
			if f["health"] != "online" {
				return fmt.Errorf("node %v is %v", f["id"], f["health"])
			}
			if endpoint, _ := f["endpoint"].(string); endpointOK != nil && !endpointOK(endpoint) {
				return fmt.Errorf("node %v has endpoint %q", f["id"], endpoint)
			}
			seen++
		}
	}
	if seen != n {
		return fmt.Errorf("%d nodes listed, want %d", seen, n)
	}
	return nil
}

// fields reads a RESP2 name/value list or a RESP3 map.
func fields(v any) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return v
	case []any:
		m := map[string]any{}
		for i := 0; i+1 < len(v); i += 2 {
			if name, ok := v[i].(string); ok {
				m[name] = v[i+1]
			}
		}
		return m
	}
	return nil
}

func waitFor(ctx context.Context, what string, check func() error) error {
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %w)", what, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// conn is a raw connection that sends one command at a time.
type conn struct{ net.Conn }

func dial(addr string, hello3 bool) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := &conn{nc}
	if hello3 {
		if _, _, err := c.do("HELLO", "3"); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return c, nil
}

// do sends args and returns the exact bytes of the reply and the reply
// decoded. With no pipelining, the server sends nothing after the reply, so
// everything read from the connection while decoding it is the reply.
func (c *conn) do(args ...string) ([]byte, any, error) {
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return nil, nil, err
	}
	if _, err := c.Write(resp.AppendCommand(nil, args)); err != nil {
		return nil, nil, err
	}
	var raw bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c.Conn, &raw))
	reply, err := resp.ReadReply(br)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	if br.Buffered() != 0 {
		return nil, nil, fmt.Errorf("%s: %d bytes after the reply", strings.Join(args, " "), br.Buffered())
	}
	return raw.Bytes(), reply, nil
}
