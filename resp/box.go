package resp

import "unsafe"

// A decoded string is one allocation: its bytes, preceded by the string
// header that an interface{} holding it points at (the box Go would
// otherwise allocate on its own). A reply a caller keeps so pins its own
// bytes and 16 more, never memory shared with other replies: an earlier
// design carved values out of 8 KiB chunks, and a caller keeping one value
// in a hundred kept every chunk alive (a hundred bytes retained per byte
// kept).
//
// The allocation is a []byte, which the garbage collector does not scan.
// That is sound: the only pointer in it is the header's, which points into
// the same allocation, and whatever holds the box or the string points into
// it too, keeping it alive.

// headerSize is the size of a string header.
const headerSize = int(unsafe.Sizeof(""))

// eface is the layout of an interface{} value.
type eface struct {
	typ, data unsafe.Pointer
}

var stringType = typeOf("")

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// box makes an interface{} of type typ whose value is *p. Nothing writes
// *p again once boxed, so sharing it is as safe as the copy Go would make.
func box(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// boxedString is a string being decoded: mem is its allocation, header
// first, and buf the bytes after the header to fill.
type boxedString struct {
	mem []byte
	buf []byte
}

// newBoxedString allocates room for a string of n bytes; the empty string
// needs none.
func newBoxedString(n int) boxedString {
	if n == 0 {
		return boxedString{}
	}
	mem := make([]byte, headerSize+n)
	return boxedString{mem: mem, buf: mem[headerSize:]}
}

// value returns as a boxed string the n bytes of buf from off. They must
// not be written again.
func (s boxedString) value(off, n int) any {
	if n == 0 {
		return ""
	}
	p := unsafe.Pointer(&s.mem[0])
	if uintptr(p)%unsafe.Alignof("") != 0 {
		// No allocator in use aligns a []byte of 16 bytes or more any
		// less, but should one: a box of its own.
		return unsafe.String(&s.buf[off], n)
	}
	*(*string)(p) = unsafe.String(&s.buf[off], n)
	return box(stringType, p)
}

// boxedCopy returns a copy of b as a boxed string, in one allocation.
func boxedCopy(b []byte) any {
	if len(b) == 0 {
		return ""
	}
	s := newBoxedString(len(b))
	copy(s.buf, b)
	return s.value(0, len(b))
}
