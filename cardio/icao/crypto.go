// Package icao implements the cryptography of ICAO Doc 9303 Part 11 that both sides
// of a chip session need: key derivation, BAC mutual authentication, 3DES (and AES)
// secure messaging with the send sequence counter. Each protocol is written once and
// exposed in two roles: the terminal (the kiosk reader) and the chip (the emulator).
package icao

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
)

// Key derivation counters (Doc 9303 Part 11 §9.7.1).
const (
	CounterEnc  = 1
	CounterMAC  = 2
	CounterPACE = 3
)

// Algorithm of the derived key.
type KeyAlg int

const (
	TDES KeyAlg = iota // 2-key 3DES, 16 bytes with odd parity
	AES128
	AES192
	AES256
)

// DeriveKey is the KDF of Doc 9303 Part 11 §9.7.1: hash(seed || counter) cut to the
// key length. 3DES keys use SHA-1 and get odd parity; AES-128 uses SHA-1, AES-192/256 SHA-256.
func DeriveKey(seed []byte, counter uint32, alg KeyAlg) []byte {
	d := make([]byte, 0, len(seed)+4)
	d = append(d, seed...)
	d = append(d, byte(counter>>24), byte(counter>>16), byte(counter>>8), byte(counter))
	switch alg {
	case TDES:
		h := sha1.Sum(d)
		return AdjustParity(h[:16])
	case AES128:
		h := sha1.Sum(d)
		return h[:16]
	case AES192:
		h := sha256.Sum256(d)
		return h[:24]
	default:
		h := sha256.Sum256(d)
		return h[:32]
	}
}

// AdjustParity returns a copy of a DES key with each byte's low bit set for odd parity.
func AdjustParity(k []byte) []byte {
	out := make([]byte, len(k))
	for i, b := range k {
		b &^= 1
		ones := 0
		for x := b; x != 0; x >>= 1 {
			ones += int(x & 1)
		}
		if ones%2 == 0 {
			b |= 1
		}
		out[i] = b
	}
	return out
}

// Pad applies ISO/IEC 9797-1 padding method 2 (80 then zeros) to a multiple of bs.
func Pad(b []byte, bs int) []byte {
	n := len(b) + 1
	n += (bs - n%bs) % bs
	out := make([]byte, n)
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

// ErrPadding is returned when ISO 9797-1 method 2 padding is missing or wrong.
var ErrPadding = errors.New("icao: bad padding")

// Unpad removes ISO/IEC 9797-1 padding method 2.
func Unpad(b []byte) ([]byte, error) {
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case 0x00:
			continue
		case 0x80:
			return b[:i], nil
		default:
			return nil, ErrPadding
		}
	}
	return nil, ErrPadding
}

func tdes(key []byte) (cipher.Block, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("icao: 3DES key of %d bytes, want 16", len(key))
	}
	k := make([]byte, 24)
	copy(k, key)
	copy(k[16:], key[:8])
	return des.NewTripleDESCipher(k)
}

// TDESEncrypt encrypts block-aligned data with 2-key 3DES in CBC mode and the given IV
// (zero in BAC and 3DES secure messaging).
func TDESEncrypt(key, iv, data []byte) ([]byte, error) {
	c, err := tdes(key)
	if err != nil {
		return nil, err
	}
	return cbcEncrypt(c, iv, data)
}

// TDESDecrypt decrypts block-aligned data with 2-key 3DES in CBC mode.
func TDESDecrypt(key, iv, data []byte) ([]byte, error) {
	c, err := tdes(key)
	if err != nil {
		return nil, err
	}
	return cbcDecrypt(c, iv, data)
}

func cbcEncrypt(c cipher.Block, iv, data []byte) ([]byte, error) {
	if iv == nil {
		iv = make([]byte, c.BlockSize())
	}
	if len(data)%c.BlockSize() != 0 || len(iv) != c.BlockSize() {
		return nil, fmt.Errorf("icao: data of %d bytes is not block aligned", len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCEncrypter(c, iv).CryptBlocks(out, data)
	return out, nil
}

func cbcDecrypt(c cipher.Block, iv, data []byte) ([]byte, error) {
	if iv == nil {
		iv = make([]byte, c.BlockSize())
	}
	if len(data)%c.BlockSize() != 0 || len(iv) != c.BlockSize() {
		return nil, fmt.Errorf("icao: data of %d bytes is not block aligned", len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(out, data)
	return out, nil
}

// RetailMAC is ISO/IEC 9797-1 MAC algorithm 3 with DES (single-DES CBC with Ka, then
// DES-decrypt with Kb and encrypt with Ka on the last block). data must already be
// padded; key is 16 bytes Ka||Kb. The result is 8 bytes.
func RetailMAC(key, data []byte) ([]byte, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("icao: MAC key of %d bytes, want 16", len(key))
	}
	if len(data) == 0 || len(data)%8 != 0 {
		return nil, fmt.Errorf("icao: MAC input of %d bytes is not block aligned", len(data))
	}
	ka, _ := des.NewCipher(key[:8])
	kb, _ := des.NewCipher(key[8:])
	h := make([]byte, 8)
	for i := 0; i < len(data); i += 8 {
		subtle.XORBytes(h, h, data[i:i+8])
		ka.Encrypt(h, h)
	}
	kb.Decrypt(h, h)
	ka.Encrypt(h, h)
	return h, nil
}

// CMAC is AES-CMAC (NIST SP 800-38B) over data, full 16 bytes.
func CMAC(key, data []byte) ([]byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	k1, k2 := cmacSubkeys(c)
	n := (len(data) + 15) / 16
	last := make([]byte, 16)
	if n == 0 {
		n = 1
	}
	complete := len(data) > 0 && len(data)%16 == 0
	if complete {
		subtle.XORBytes(last, data[(n-1)*16:], k1)
	} else {
		rem := data[(n-1)*16:]
		copy(last, rem)
		last[len(rem)] = 0x80
		subtle.XORBytes(last, last, k2)
	}
	x := make([]byte, 16)
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x, x, data[i*16:(i+1)*16])
		c.Encrypt(x, x)
	}
	subtle.XORBytes(x, x, last)
	c.Encrypt(x, x)
	return x, nil
}

func cmacSubkeys(c cipher.Block) ([]byte, []byte) {
	l := make([]byte, 16)
	c.Encrypt(l, l)
	dbl := func(in []byte) []byte {
		out := make([]byte, 16)
		carry := byte(0)
		for i := 15; i >= 0; i-- {
			out[i] = in[i]<<1 | carry
			carry = in[i] >> 7
		}
		if in[0]&0x80 != 0 {
			out[15] ^= 0x87
		}
		return out
	}
	k1 := dbl(l)
	return k1, dbl(k1)
}
