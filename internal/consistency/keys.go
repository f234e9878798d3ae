package consistency

import (
	"strconv"

	"github.com/redactor-go/redactor/topology"
)

// spreadKeys returns n keys "<prefix>:<i>", the k-th of which hashes to
// slot k*16384/n: spread evenly over all slots, and so over all masters.
func spreadKeys(prefix string, n int) []string {
	keys := make([]string, n)
	want := make(map[int]int, n) // slot -> index in keys
	for k := range n {
		want[k*maxKeys/n] = k
	}
	for i := 0; len(want) > 0; i++ {
		key := prefix + ":" + strconv.Itoa(i)
		slot := int(topology.Slot(key))
		if k, ok := want[slot]; ok {
			keys[k] = key
			delete(want, slot)
		}
	}
	return keys
}
