package proxy

import "sync"

// bufSize is the size of each read buffer, and so the largest chunk.
const bufSize = 16 << 10

// bufPool recycles read buffers: a reader hands its buffer to the writer
// with a queued chunk and takes a fresh one; the writer returns it.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, bufSize)
	return &b
}}

// getBuf returns a buffer of bufSize bytes.
func getBuf() *[]byte {
	return bufPool.Get().(*[]byte)
}

// putBuf returns b to the pool.
func putBuf(b *[]byte) {
	bufPool.Put(b)
}
