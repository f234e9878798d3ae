package resp

import "unsafe"

// Chunk sizes of an arena: bulk strings up to maxArenaString bytes share
// 8 KiB byte chunks; string and int64 values share chunks of 256 slots.
const (
	byteChunk      = 8 << 10
	maxArenaString = 512
	slotChunk      = 256
)

// arena hands out the memory replies are decoded into, in chunks, so that a
// batch of replies costs a few allocations instead of two per reply (the
// bytes, and the interface box around the string). A chunk stays alive while
// any value carved from it is referenced. An arena belongs to one reader.
type arena struct {
	bytes []byte
	strs  []string
	ints  []int64
}

// eface is the layout of an interface{} value.
type eface struct {
	typ, data unsafe.Pointer
}

var (
	stringType = typeOf("")
	int64Type  = typeOf(int64(0))
)

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// box makes an interface{} of type typ whose value is *p. The arena never
// writes a slot again once boxed, so sharing it is as safe as the copy Go
// would make.
func box(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// str returns a copy of b as a boxed string; without an arena it allocates
// as usual.
func (a *arena) str(b []byte) any {
	if a == nil {
		return string(b)
	}
	if len(b) == 0 {
		return ""
	}
	var s string
	if len(b) <= maxArenaString {
		if len(a.bytes) < len(b) {
			a.bytes = make([]byte, byteChunk)
		}
		n := copy(a.bytes, b)
		s = unsafe.String(&a.bytes[0], n)
		a.bytes = a.bytes[n:]
	} else {
		s = string(b)
	}
	return a.boxString(s)
}

// boxString boxes s in an arena slot.
func (a *arena) boxString(s string) any {
	if a == nil {
		return s
	}
	if len(a.strs) == 0 {
		a.strs = make([]string, slotChunk)
	}
	a.strs[0] = s
	v := box(stringType, unsafe.Pointer(&a.strs[0]))
	a.strs = a.strs[1:]
	return v
}

// int boxes n in an arena slot (small values need no slot: Go boxes them
// without allocating).
func (a *arena) int(n int64) any {
	if a == nil || (n >= 0 && n < 256) {
		return n
	}
	if len(a.ints) == 0 {
		a.ints = make([]int64, slotChunk)
	}
	a.ints[0] = n
	v := box(int64Type, unsafe.Pointer(&a.ints[0]))
	a.ints = a.ints[1:]
	return v
}
