package redactor_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/topology"
)

func ExampleWithTx() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	// MULTI ... EXEC on the master of {order:7}, atomically.
	p := c.Pipeline(redactor.WithTx())
	p.Do("SET", "example:{order:7}:state", "paid")
	p.Do("INCR", "example:{order:7}:version")
	p.Do("DEL", "example:{order:7}:state", "example:{order:7}:version")
	results, err := p.Exec(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Value, r.Err)
	}
	// Output:
	// OK <nil>
	// 1 <nil>
	// 2 <nil>
}

func ExampleClient_Watch() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Do(ctx, "SET", "example:{acct:1}:balance", "100")

	// Move 30 out of the balance unless it changed meanwhile.
	err = c.Watch(ctx, func(tx *redactor.Tx) error {
		balance, err := tx.Do(ctx, "GET", "example:{acct:1}:balance").Int64()
		if err != nil {
			return err
		}
		tx.Queue("SET", "example:{acct:1}:balance", strconv.FormatInt(balance-30, 10))
		_, err = tx.Exec(ctx) // redactor.ErrTxAborted: a watched key changed
		return err
	}, "example:{acct:1}:balance")
	fmt.Println(err)
	fmt.Println(c.Do(ctx, "GET", "example:{acct:1}:balance").Value)
	c.Do(ctx, "DEL", "example:{acct:1}:balance")
	// Output:
	// <nil>
	// 70
}

func ExampleParseURL() {
	cfg, err := redactor.ParseURL("rediss://app:secret@10.0.0.1:6380,10.0.0.2:6380?protocol=3&client_name=billing")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Addrs, cfg.Username, cfg.Protocol, cfg.ClientName, cfg.TLS != nil)

	_, err = redactor.ParseURL("redis://app:secret@10.0.0.1:6380/2")
	fmt.Println(err)
	// Output:
	// [10.0.0.1:6380 10.0.0.2:6380] app 3 billing true
	// redactor: invalid config: URL "redis://app:xxxxx@10.0.0.1:6380/2": database "2": a cluster has only database 0
}

func ExampleObserve() {
	ctx := context.Background()
	loaded := make(chan *topology.Loaded, 1)
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1],
		// OnEvent sees New's own events: the first layout load.
		OnEvent: func(ev redactor.Event) {
			if l, ok := ev.Payload.(*topology.Loaded); ok && l.Version == 1 {
				loaded <- l
			}
		}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println("first layout version:", (<-loaded).Version)

	// Observe gives typed events, later ones, on a goroutine of its own.
	o := redactor.Observe(c, func(down *topology.NodeDown) {
		fmt.Println("node down:", down.Addr)
	})
	defer o.Stop()
	// Output:
	// first layout version: 1
}

// counter is an actor of a user's own that runs pipelines through the
// client's coordinator by message.
type counter struct {
	coordinator *actor.PID
	done        chan<- []redactor.Result
}

func (a *counter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(a.coordinator, &actors.Exec{
			Commands: [][]string{{"INCR", "example:hits"}, {"INCR", "example:hits"}, {"DEL", "example:hits"}},
			Mode:     actors.Parallel,
		})
	case *actors.Exec: // the same message, back with its results
		a.done <- msg.Results
	}
}

func ExampleClient_Coordinator() {
	ctx := context.Background()
	system := actor.NewActorSystem()
	defer system.Shutdown()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1], ActorSystem: system})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	done := make(chan []redactor.Result, 1)
	system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &counter{coordinator: c.Coordinator(), done: done}
	}))
	for _, r := range <-done {
		fmt.Println(r.Value)
	}
	// Output:
	// 1
	// 2
	// 1
}
