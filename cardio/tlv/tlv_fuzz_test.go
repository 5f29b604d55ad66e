package tlv

import (
	"bytes"
	"testing"
)

// FuzzParseAllReencode checks what the parser returns, not only that it does not
// panic: every object it accepts lies inside the input, and encoding the objects again
// (minimal lengths) gives bytes that parse to the same tags and values.
func FuzzParseAllReencode(f *testing.F) {
	f.Add(Constructed(0x61, Encode(0x5F1F, []byte("IDMAC1234567<<<<"))))
	f.Add(append(Encode(0x47, []byte{0, 0, 0x40}), Encode(0x5F2E, bytes.Repeat([]byte{1}, 300))...))
	f.Add([]byte{0x77, 0x81, 0x03, 0x30, 0x01, 0x00}) // non-minimal length
	f.Add([]byte{0x9F, 0x81, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := ParseAll(b)
		if err != nil {
			return
		}
		var again []byte
		for _, o := range objs {
			if len(o.Value) > len(b) {
				t.Fatalf("object %X longer than the input", uint32(o.Tag))
			}
			again = append(again, Encode(o.Tag, o.Value)...)
		}
		objs2, err := ParseAll(again)
		if err != nil {
			t.Fatalf("re-encoded objects do not parse: %v", err)
		}
		if len(objs2) != len(objs) {
			t.Fatalf("%d objects became %d", len(objs), len(objs2))
		}
		for i := range objs {
			if objs[i].Tag != objs2[i].Tag || !bytes.Equal(objs[i].Value, objs2[i].Value) {
				t.Fatalf("object %d changed: %X %X -> %X %X", i, uint32(objs[i].Tag), objs[i].Value, uint32(objs2[i].Tag), objs2[i].Value)
			}
		}
	})
}
