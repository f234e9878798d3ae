package topology

import "strings"

// SlotCount is the number of hash slots in a Redis Cluster.
const SlotCount = 16384

// crc16Table is the lookup table of CRC16/XMODEM (polynomial 0x1021, initial
// value 0), the checksum Redis Cluster hashes keys with.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// CRC16 returns the CRC16/XMODEM checksum of s.
func CRC16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^s[i]]
	}
	return crc
}

// HashTag returns the part of key that Redis hashes: the text between the
// first '{' and the first '}' after it when that text is not empty, otherwise
// the whole key.
func HashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	closing := strings.IndexByte(key[open+1:], '}')
	if closing <= 0 {
		return key
	}
	return key[open+1 : open+1+closing]
}

// Slot returns the hash slot of key, as CLUSTER KEYSLOT computes it.
func Slot(key string) uint16 {
	return CRC16(HashTag(key)) & (SlotCount - 1)
}
