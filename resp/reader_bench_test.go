package resp

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
)

// repeatReader reads data over and over.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// BenchmarkDecode decodes a mix of RESP2 and RESP3 replies: simple and bulk
// strings, integers, an array, a map, a double and a null.
func BenchmarkDecode(b *testing.B) {
	var in bytes.Buffer
	for i := range 100 {
		switch i % 8 {
		case 0, 1:
			in.WriteString("+OK\r\n")
		case 2, 3:
			fmt.Fprintf(&in, "$32\r\n%032d\r\n", i)
		case 4:
			fmt.Fprintf(&in, ":%d\r\n", 1000+i)
		case 5:
			in.WriteString("*2\r\n$1\r\na\r\n:1\r\n")
		case 6:
			in.WriteString("%1\r\n$1\r\nf\r\n,1.5\r\n")
		default:
			in.WriteString("_\r\n")
		}
	}
	for _, tt := range []struct {
		name string
		read func(*bufio.Reader) func() (any, error)
	}{
		{"Decoder", func(br *bufio.Reader) func() (any, error) { return NewDecoder(br).Decode }},
		{"ReadReply", func(br *bufio.Reader) func() (any, error) { return func() (any, error) { return ReadReply(br) } }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			read := tt.read(bufio.NewReaderSize(&repeatReader{data: in.Bytes()}, 32<<10))
			b.SetBytes(int64(in.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for range 100 {
					if _, err := read(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
