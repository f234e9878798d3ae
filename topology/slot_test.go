package topology

import (
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
