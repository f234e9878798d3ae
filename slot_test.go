package redactor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/topology"
)

// TestSlotMatchesClusterKeyslot compares topology.Slot with the server's
// CLUSTER KEYSLOT for awkward keys and 10,000 random binary keys.
func TestSlotMatchesClusterKeyslot(t *testing.T) {
	keys := []string{"", "{}", "{a", "a}", "a{}b", "{{a}}", "{a}{b}", "}{a}", "{}{a}", "\r\n", "{\r\n}",
		"\x00", "{\x00}x", "user:{42}:name", "\xff\xfe{\xff}", "{ }", "foo", "123456789"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("{}ab\r\n\x00\xff:")
	for range 10_000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		keys = append(keys, string(b))
	}
	cmds := make([][]string, len(keys))
	for i, k := range keys {
		cmds[i] = []string{"CLUSTER", "KEYSLOT", k}
	}
	replies := dialDirect(t, cluster.Addrs()[0]).pipeline(t, cmds)
	for i, r := range replies {
		require.NoError(t, r.Err)
		require.Equal(t, r.Value, int64(topology.Slot(keys[i])), "key %q", keys[i])
	}
}
