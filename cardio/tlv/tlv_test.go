package tlv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func hx(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		tag     Tag
		value   string
		rest    string
		wantErr error
	}{
		{"short", "5F1F03414243", 0x5F1F, "414243", "", nil},
		{"one byte tag", "0102AABB", 0x01, "AABB", "", nil},
		{"rest kept", "8001AA9000", 0x80, "AA", "9000", nil},
		{"81 form", "5381" + "80" + string(bytes.Repeat([]byte("00"), 0x80)), 0x53, string(bytes.Repeat([]byte("00"), 0x80)), "", nil},
		{"82 form", "77820003010203", 0x77, "010203", "", nil},
		{"three byte tag", "5F8F0101AA", 0x5F8F01, "AA", "", nil},
		{"empty value", "8E00", 0x8E, "", "", nil},
		{"empty input", "", 0, "", "", ErrTruncated},
		{"tag only", "5F", 0, "", "", ErrTruncated},
		{"no length", "5F1F", 0, "", "", ErrTruncated},
		{"value truncated", "5F1F0541", 0, "", "", ErrTruncated},
		{"indefinite", "61800000", 0, "", "", ErrBadLength},
		{"five length bytes", "618500000000010000", 0, "", "", ErrBadLength},
		{"length bytes truncated", "618201", 0, "", "", ErrTruncated},
		{"absurd length", "6184FFFFFFFF00", 0, "", "", ErrBadLength},
		{"big length short input", "618300FFFF00", 0, "", "", ErrTruncated},
		{"tag 00", "0001AA", 0, "", "", ErrBadTag},
		{"tag FF", "FF01AA", 0, "", "", ErrBadTag},
		{"tag too long", "5F8181810100", 0, "", "", ErrBadTag},
		{"tag leading zero", "5F800101AA", 0, "", "", ErrBadTag},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, rest, err := Parse(hx(tc.in))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Tag != tc.tag || !bytes.Equal(o.Value, hx(tc.value)) || !bytes.Equal(rest, hx(tc.rest)) {
				t.Fatalf("got %s %X rest %X", o.Tag, o.Value, rest)
			}
		})
	}
}

func TestTree(t *testing.T) {
	// A DG1-like structure: 61 { 5F1F "ABC" } plus a nested constructed 7F61 { 02 01 01 }.
	in := Constructed(0x61, Encode(0x5F1F, []byte("ABC")), Constructed(0x7F61, Encode(0x02, []byte{1})))
	nodes, err := ParseTree(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || len(nodes[0].Children) != 2 || nodes[0].Children[1].Tag != 0x7F61 || len(nodes[0].Children[1].Children) != 1 {
		t.Fatalf("tree = %+v", nodes)
	}
	o, _ := ParseOne(in)
	c, err := o.Path(0x7F61, 0x02)
	if err != nil || !bytes.Equal(c.Value, []byte{1}) {
		t.Fatalf("path: %v %X", err, c.Value)
	}
	if _, err := o.Find(0x99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("find missing: %v", err)
	}
	if _, err := (Object{Tag: 0x5F1F}).Children(); !errors.Is(err, ErrNotConstructed) {
		t.Fatalf("children of primitive: %v", err)
	}
	if _, err := ParseOne(append(in, 0)); !errors.Is(err, ErrTrailing) {
		t.Fatalf("trailing: %v", err)
	}
}

func TestDepthBounded(t *testing.T) {
	b := Encode(0x80, nil)
	for i := 0; i < MaxDepth+5; i++ {
		b = Constructed(0xA0, b)
	}
	if _, err := ParseTree(b); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("err = %v, want ErrTooDeep", err)
	}
}

func TestEncodeLength(t *testing.T) {
	for _, n := range []int{0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0xFFFFFF} {
		enc := EncodeLength(n)
		got, used, err := ReadLength(enc)
		if err != nil || got != n || used != len(enc) {
			t.Fatalf("%d: got %d used %d err %v", n, got, used, err)
		}
	}
	if !bytes.Equal(EncodeLength(0x80), []byte{0x81, 0x80}) || !bytes.Equal(EncodeLength(0x100), []byte{0x82, 1, 0}) {
		t.Fatal("not minimal")
	}
}

func TestHeader(t *testing.T) {
	tag, hl, total, err := Header(hx("7782012C3082"))
	if err != nil || tag != 0x77 || hl != 4 || total != 4+0x12C {
		t.Fatalf("%s %d %d %v", tag, hl, total, err)
	}
}

func TestTagBytes(t *testing.T) {
	for _, tg := range []Tag{0x01, 0x5F1F, 0x7F61, 0x5F8F01, 0x5F818101} {
		got, n, err := ReadTag(tg.Bytes())
		if err != nil || got != tg || n != len(tg.Bytes()) {
			t.Fatalf("%s: %s %d %v", tg, got, n, err)
		}
	}
	if !Tag(0x7F61).Constructed() || Tag(0x5F1F).Constructed() || !Tag(0x61).Constructed() {
		t.Fatal("constructed bit")
	}
}
