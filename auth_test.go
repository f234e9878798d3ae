package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

const clusterPassword = "s3cret-default"

// leastRights are the ACL rules of a user with read commands only, plus
// what the client itself sends (docs/production.md).
const leastRights = "+@read +cluster|shards +cluster|slots +command +readonly +asking +client|setname +hello +auth"

// startAuthCluster starts a cluster with requirepass and masterauth, and
// on every node the ACL users "app" (every right) and "reader" (read
// commands and the client's least rights).
func startAuthCluster(t *testing.T) *localcluster.Cluster {
	t.Helper()
	c := localcluster.StartT(t, localcluster.Config{Masters: 3, Password: clusterPassword})
	ctx := t.Context()
	for _, n := range c.Nodes() {
		require.NoError(t, c.Do(ctx, n.Addr, nil, "ACL", "SETUSER", "app", "on", ">app-pw", "~*", "&*", "+@all"))
		require.NoError(t, c.Do(ctx, n.Addr, nil, "ACL", append([]string{"SETUSER", "reader", "on", ">reader-pw", "~*", "&*"}, strings.Fields(leastRights)...)...))
	}
	return c
}

// authAttempts sums the AUTH and HELLO calls, failed or not, of every node.
func authAttempts(t *testing.T, c *localcluster.Cluster) int {
	t.Helper()
	total := 0
	// calls counts the failed calls too; rejected ones are apart.
	re := regexp.MustCompile(`cmdstat_(?:auth|hello):calls=(\d+),.*rejected_calls=(\d+)`)
	for _, n := range c.Nodes() {
		var info string
		require.NoError(t, c.Do(t.Context(), n.Addr, &info, "INFO", "commandstats"))
		for _, m := range re.FindAllStringSubmatch(info, -1) {
			for _, v := range m[1:] {
				n, _ := strconv.Atoi(v)
				total += n
			}
		}
	}
	return total
}

func TestAuth(t *testing.T) {
	c := startAuthCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	// roundTrip runs a pipeline over many slots and checks every value.
	roundTrip := func(t *testing.T, client *redactor.Client, prefix string) {
		t.Helper()
		p := client.Pipeline()
		for i := range 50 {
			p.Do("SET", fmt.Sprintf("%s:%d", prefix, i), strconv.Itoa(i))
		}
		for i := range 50 {
			p.Do("GET", fmt.Sprintf("%s:%d", prefix, i))
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		for i, r := range results[:50] {
			require.NoError(t, r.Err, "SET %d", i)
		}
		for i, r := range results[50:] {
			require.NoError(t, r.Err, "GET %d", i)
			assert.Equal(t, strconv.Itoa(i), r.Value)
		}
	}

	t.Run("password", func(t *testing.T) {
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Password: clusterPassword})
		require.NoError(t, err)
		defer client.Close()
		roundTrip(t, client, "pw")
		// Dedicated connections (blocking commands) authenticate too.
		r := client.Do(ctx, "BLPOP", "pw:list", "0.05")
		require.NoError(t, r.Err)
		assert.Nil(t, r.Value)
	})

	t.Run("user and client name", func(t *testing.T) {
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Username: "app", Password: "app-pw", ClientName: "billing-7"})
		require.NoError(t, err)
		defer client.Close()
		roundTrip(t, client, "app")
		named := 0
		for _, n := range c.Nodes() {
			var list string
			require.NoError(t, c.Do(ctx, n.Addr, &list, "CLIENT", "LIST"))
			for _, line := range strings.Split(list, "\n") {
				if strings.Contains(line, " name=billing-7 ") && strings.Contains(line, " user=app ") {
					named++
				}
			}
		}
		assert.GreaterOrEqual(t, named, 3, "every master's connection is named")
	})

	t.Run("NOPERM is the command's own error", func(t *testing.T) {
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Username: "reader", Password: "reader-pw"})
		require.NoError(t, err)
		defer client.Close()
		p := client.Pipeline()
		p.Do("GET", "app:1")
		p.Do("SET", "reader:x", "1")
		p.Do("GET", "app:2")
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		require.NoError(t, results[0].Err)
		assert.Equal(t, "1", results[0].Value)
		var redisErr *redactor.RedisError
		require.ErrorAs(t, results[1].Err, &redisErr)
		assert.Equal(t, "NOPERM", redisErr.Prefix())
		assert.NotErrorIs(t, results[1].Err, redactor.ErrAuth)
		require.NoError(t, results[2].Err)
		assert.Equal(t, "2", results[2].Value)
	})

	t.Run("wrong password fails New at once", func(t *testing.T) {
		before := authAttempts(t, c)
		start := time.Now()
		_, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Username: "app", Password: "wrong"})
		elapsed := time.Since(start)
		require.ErrorIs(t, err, redactor.ErrAuth)
		assert.Contains(t, err.Error(), "WRONGPASS")
		assert.Less(t, elapsed, 2*time.Second)
		attempts := authAttempts(t, c) - before
		t.Logf("New failed in %v after %d AUTH attempts (%v)", elapsed, attempts, err)
		assert.LessOrEqual(t, attempts, len(c.Addrs()), "at most one attempt per seed")
	})

	t.Run("no password fails New with ErrAuth", func(t *testing.T) {
		_, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs()})
		require.ErrorIs(t, err, redactor.ErrAuth)
		assert.Contains(t, err.Error(), "NOAUTH")
	})

	t.Run("credentials rotate", func(t *testing.T) {
		for _, n := range c.Nodes() {
			require.NoError(t, c.Do(ctx, n.Addr, nil, "ACL", "SETUSER", "rotating", "on", ">one", "~*", "&*", "+@all"))
		}
		var password atomic.Value
		password.Store("one")
		var calls atomic.Int32
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(),
			Credentials: func(context.Context) (string, string, error) {
				calls.Add(1)
				return "rotating", password.Load().(string), nil
			},
			Username: "ignored", Password: "ignored"})
		require.NoError(t, err)
		defer client.Close()
		roundTrip(t, client, "rot1")
		first := calls.Load()
		assert.GreaterOrEqual(t, first, int32(4), "the layout load and each master's connection")

		// The password changes: new connections must use the new one.
		password.Store("two")
		for _, n := range c.Nodes() {
			require.NoError(t, c.Do(ctx, n.Addr, nil, "ACL", "SETUSER", "rotating", "<one", ">two"))
			require.NoError(t, c.Do(ctx, n.Addr, nil, "CLIENT", "KILL", "USER", "rotating"))
		}
		require.Eventually(t, func() bool {
			return client.Do(ctx, "GET", "rot1:1").Err == nil
		}, 5*time.Second, 10*time.Millisecond)
		roundTrip(t, client, "rot2")
		assert.Greater(t, calls.Load(), first)
	})

	t.Run("password revoked: commands fail at once", func(t *testing.T) {
		for _, n := range c.Nodes() {
			require.NoError(t, c.Do(ctx, n.Addr, nil, "ACL", "SETUSER", "revoked", "on", ">old", "~*", "&*", "+@all"))
		}
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Username: "revoked", Password: "old"})
		require.NoError(t, err)
		defer client.Close()
		roundTrip(t, client, "rev")
		for _, n := range c.Nodes() {
			require.NoError(t, c.Do(ctx, n.Addr, nil, "ACL", "SETUSER", "revoked", "resetpass", ">new"))
			require.NoError(t, c.Do(ctx, n.Addr, nil, "CLIENT", "KILL", "USER", "revoked"))
		}
		start := time.Now()
		var r redactor.Result
		// The first command may find its connection closed and be told so
		// as not sent; the reconnect is refused.
		require.Eventually(t, func() bool {
			r = client.Do(ctx, "GET", "rev:1")
			return r.Err != nil && errors.Is(r.Err, redactor.ErrAuth)
		}, 2*time.Second, time.Millisecond)
		assert.Less(t, time.Since(start), time.Second, "not retried until RetryTimeout: %v", r.Err)
		assert.Contains(t, r.Err.Error(), "WRONGPASS")
	})

	t.Run("credentials error", func(t *testing.T) {
		boom := errors.New("vault sealed")
		_, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(),
			Credentials: func(context.Context) (string, string, error) { return "", "", boom }})
		require.ErrorIs(t, err, boom)
	})
}
