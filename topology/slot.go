package topology

import "strings"

// SlotCount is the number of hash slots in a Redis Cluster.
const SlotCount = 16384

// crc16Tables are the lookup tables of CRC16/XMODEM (polynomial 0x1021,
// initial value 0), the checksum Redis Cluster hashes keys with, for
// slicing by 4: crc16Tables[0] is the classic byte table, and
// crc16Tables[k][x] is the checksum of byte x followed by k zero bytes, so
// that four bytes are folded in with four independent lookups.
var crc16Tables = func() (t [4][256]uint16) {
	for i := range t[0] {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[0][i] = crc
	}
	for k := 1; k < 4; k++ {
		for i := range t[k] {
			prev := t[k-1][i]
			t[k][i] = prev<<8 ^ t[0][prev>>8]
		}
	}
	return t
}()

// CRC16 returns the CRC16/XMODEM checksum of s.
func CRC16(s string) uint16 {
	t := &crc16Tables
	var crc uint16
	for len(s) >= 4 {
		crc = t[3][byte(crc>>8)^s[0]] ^ t[2][byte(crc)^s[1]] ^ t[1][s[2]] ^ t[0][s[3]]
		s = s[4:]
	}
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ t[0][byte(crc>>8)^s[i]]
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
