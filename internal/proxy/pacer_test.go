package proxy

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPacerWakesEachWaiterAtItsDeadline(t *testing.T) {
	pc := acquirePacer()
	defer releasePacer()

	base := time.Now()
	// Out of order, a past deadline, one far in the coarse range, equal ones.
	offsets := []time.Duration{3 * time.Millisecond, 200 * time.Microsecond, -time.Millisecond,
		time.Millisecond, 1500 * time.Microsecond, time.Millisecond, 20 * time.Millisecond}
	var wg sync.WaitGroup
	woke := make([]time.Time, len(offsets))
	for i, off := range offsets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := pc.wait(newTicket(), base.Add(off), make(chan struct{}))
			woke[i] = time.Now()
			assert.True(t, ok)
		}()
	}
	wg.Wait()
	for i, off := range offsets {
		assert.Falsef(t, woke[i].Before(base.Add(off)), "waiter %d woke before its deadline", i)
	}
	pc.mu.Lock()
	assert.Empty(t, pc.queue)
	pc.mu.Unlock()
}

func TestPacerWaitStopsWhenDone(t *testing.T) {
	pc := acquirePacer()
	defer releasePacer()

	done := make(chan struct{})
	tk := newTicket()
	result := make(chan bool)
	go func() { result <- pc.wait(tk, time.Now().Add(time.Hour), done) }()
	require.Eventually(t, func() bool {
		pc.mu.Lock()
		defer pc.mu.Unlock()
		return len(pc.queue) == 1
	}, ioTimeout, time.Millisecond)
	close(done)
	assert.False(t, <-result)
	pc.mu.Lock()
	assert.Empty(t, pc.queue, "a cancelled wait leaves the queue")
	pc.mu.Unlock()
	assert.Equal(t, -1, tk.index)

	// The ticket is reusable.
	assert.True(t, pc.wait(tk, time.Now().Add(100*time.Microsecond), make(chan struct{})))
}

func TestPacerIsSharedAndStopsWithTheLastProxy(t *testing.T) {
	p1 := startProxy(t, Config{Target: "127.0.0.1:6379"})
	p2 := startProxy(t, Config{Target: "127.0.0.1:6379"})
	require.Same(t, p1.pacer, p2.pacer)
	done := p1.pacer.done

	require.NoError(t, p1.Close())
	select {
	case <-done:
		t.Fatal("the pacer stopped while a proxy still uses it")
	default:
	}
	require.NoError(t, p2.Close())
	select {
	case <-done:
	default:
		t.Fatal("the pacer still runs after the last proxy closed")
	}
}
