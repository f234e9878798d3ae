package topology

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCRC16KnownValue(t *testing.T) {
	// The check value of CRC16/XMODEM, also quoted in the Redis Cluster spec.
	assert.Equal(t, uint16(0x31C3), CRC16("123456789"))
}

func TestSlot(t *testing.T) {
	tests := []struct {
		name, key string
		want      uint16
	}{
		{name: "empty key", key: "", want: 0},
		{name: "plain key", key: "foo", want: 12182},
		{name: "hash tag", key: "user:{42}:name", want: Slot("42")},
		{name: "empty tag hashes whole key", key: "a{}b", want: CRC16("a{}b") % SlotCount},
		{name: "empty braces", key: "{}", want: CRC16("{}") % SlotCount},
		{name: "unclosed brace", key: "{a", want: CRC16("{a") % SlotCount},
		{name: "nested braces use first open and first close", key: "{{a}}", want: CRC16("{a") % SlotCount},
		{name: "second tag ignored", key: "{x}{y}", want: Slot("x")},
		{name: "close before open", key: "}a{b}", want: Slot("b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Slot(tt.key))
		})
	}
}

func BenchmarkSlot(b *testing.B) {
	for b.Loop() {
		Slot("user:{42}:name")
	}
}

// crc16Bytewise is the textbook one-byte-at-a-time CRC16/XMODEM, the
// reference the sliced CRC16 is checked against.
func crc16Bytewise(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func TestCRC16MatchesBytewise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n%67)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		assert.Equal(t, crc16Bytewise(string(b)), CRC16(string(b)), "%x", b)
	}
}

func FuzzCRC16(f *testing.F) {
	f.Add("123456789")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := CRC16(s), crc16Bytewise(s); got != want {
			t.Fatalf("CRC16(%q) = %#x, want %#x", s, got, want)
		}
	})
}
