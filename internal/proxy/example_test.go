package proxy_test

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/redactor-go/redactor/internal/proxy"
)

// ExampleStart puts a proxy adding 1ms each way in front of an echo server.
func ExampleStart() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()

	p, err := proxy.Start(proxy.Config{Target: ln.Addr().String(), Delay: time.Millisecond})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	start := time.Now()
	_, _ = c.Write([]byte("PING"))
	reply := make([]byte, 4)
	_, _ = io.ReadFull(c, reply)
	fmt.Println(string(reply), time.Since(start) >= 2*time.Millisecond)
	// Output: PING true
}
