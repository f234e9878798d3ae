package redactor_test

import (
	"context"
	"fmt"

	"github.com/redactor-go/redactor"
)

// Reads run on replicas; a pipeline still reads its own writes.
func ExampleReadFrom() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs(), ReadFrom: redactor.ReadReplicaPreferred})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	p := c.Pipeline()
	p.Do("SET", "example:replica:{7}:name", "ada")
	p.Do("GET", "example:replica:{7}:name") // its slot is written here: read on the master
	p.Do("EXISTS", "example:replica:other") // read on a replica
	results, err := p.Exec(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(results[1].Value, results[2].Value)
	fmt.Println(redactor.ReadReplicaPreferred)
	// Output:
	// ada 0
	// replica-preferred
}
