package tlv

import (
	"bytes"
	"testing"
)

// FuzzParseTree checks that no input makes the parser panic or allocate beyond its
// input, and that whatever it accepts re-encodes to something it parses the same way.
// The seed corpus is kept in testdata/fuzz/FuzzParseTree.
func FuzzParseTree(f *testing.F) {
	f.Add(Constructed(0x61, Encode(0x5F1F, []byte("IDMAC1234567<<<<"))))
	f.Add([]byte{0x77, 0x82, 0x00, 0x03, 0x30, 0x01, 0x00})
	f.Add([]byte{0x61, 0x80, 0x00, 0x00})
	f.Add([]byte{0x5F, 0x81, 0x81, 0x81, 0x01})
	f.Add([]byte{0x75, 0x84, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, in []byte) {
		nodes, err := ParseTree(in)
		if err != nil {
			return
		}
		var re []byte
		for _, n := range nodes {
			re = append(re, Encode(n.Tag, n.Value)...)
		}
		if len(re) > len(in) {
			// Minimal re-encoding can only shrink (non-minimal lengths) or stay equal.
			t.Fatalf("re-encoding grew: %d > %d", len(re), len(in))
		}
		again, err := ParseTree(re)
		if err != nil {
			t.Fatalf("re-encoded input does not parse: %v", err)
		}
		if len(again) != len(nodes) {
			t.Fatalf("object count changed: %d != %d", len(again), len(nodes))
		}
		for i := range nodes {
			if again[i].Tag != nodes[i].Tag || !bytes.Equal(again[i].Value, nodes[i].Value) {
				t.Fatalf("object %d changed", i)
			}
		}
	})
}
