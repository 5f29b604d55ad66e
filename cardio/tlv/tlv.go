// Package tlv parses and encodes BER-TLV as ISO/IEC 7816-4 and ICAO Doc 9303 use it.
//
// Parsing is strict: a truncated object, a length that runs past the input, a
// length field longer than 4 bytes, the indefinite length form or a tag longer than
// 4 bytes is an error. Lengths are checked against the input before anything is
// allocated, so hostile input can never make the parser allocate more than it was
// given, and nesting depth is bounded, so it never recurses without limit.
package tlv

import (
	"errors"
	"fmt"
)

// Tag is a BER tag with its class and constructed bits, as the bytes read
// big-endian (0x5F1F, 0x7F61, 0x61...).
type Tag uint32

// Constructed reports whether the tag's first byte has the constructed bit (b6).
func (t Tag) Constructed() bool {
	return t.firstByte()&0x20 != 0
}

func (t Tag) firstByte() byte {
	switch {
	case t > 0xFFFFFF:
		return byte(t >> 24)
	case t > 0xFFFF:
		return byte(t >> 16)
	case t > 0xFF:
		return byte(t >> 8)
	default:
		return byte(t)
	}
}

// Bytes returns the tag's encoding.
func (t Tag) Bytes() []byte {
	switch {
	case t > 0xFFFFFF:
		return []byte{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
	case t > 0xFFFF:
		return []byte{byte(t >> 16), byte(t >> 8), byte(t)}
	case t > 0xFF:
		return []byte{byte(t >> 8), byte(t)}
	default:
		return []byte{byte(t)}
	}
}

func (t Tag) String() string { return fmt.Sprintf("%X", uint32(t)) }

// Errors returned by the parser. They are wrapped with the offset where parsing failed.
var (
	ErrTruncated      = errors.New("tlv: truncated")
	ErrBadLength      = errors.New("tlv: bad length")
	ErrBadTag         = errors.New("tlv: bad tag")
	ErrTooDeep        = errors.New("tlv: nesting too deep")
	ErrTrailing       = errors.New("tlv: trailing bytes")
	ErrNotFound       = errors.New("tlv: tag not found")
	ErrNotConstructed = errors.New("tlv: not a constructed object")
)

// MaxDepth bounds the nesting the parser follows (DG2 needs 5).
const MaxDepth = 16

// MaxLength is the largest value length accepted (16 MiB). Anything on a smart card is far smaller.
const MaxLength = 1 << 24

// Object is one parsed TLV. Value aliases the input slice.
type Object struct {
	Tag   Tag
	Value []byte
}

// ReadTag reads a tag from the start of b and returns it with its encoded size.
func ReadTag(b []byte) (Tag, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	// 0x00 and 0xFF are padding/invalid per ISO 7816-4 §5.2.2.
	if b[0] == 0x00 || b[0] == 0xFF {
		return 0, 0, fmt.Errorf("%w: first byte %02X", ErrBadTag, b[0])
	}
	t := Tag(b[0])
	if b[0]&0x1F != 0x1F {
		return t, 1, nil
	}
	for i := 1; ; i++ {
		if i >= len(b) {
			return 0, 0, ErrTruncated
		}
		if i >= 4 {
			return 0, 0, fmt.Errorf("%w: longer than 4 bytes", ErrBadTag)
		}
		if i == 1 && b[1]&0x7F == 0 {
			// X.690 8.1.2.4.2: the first subsequent octet's low bits must not all be zero.
			return 0, 0, fmt.Errorf("%w: leading zero in tag number", ErrBadTag)
		}
		t = t<<8 | Tag(b[i])
		if b[i]&0x80 == 0 {
			return t, i + 1, nil
		}
	}
}

// ReadLength reads a definite length from the start of b and returns it with its
// encoded size. The indefinite form (0x80) and forms longer than 4 bytes are refused.
func ReadLength(b []byte) (int, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	n := int(b[0] & 0x7F)
	if n == 0 {
		return 0, 0, fmt.Errorf("%w: indefinite length", ErrBadLength)
	}
	if n > 4 {
		return 0, 0, fmt.Errorf("%w: %d length bytes", ErrBadLength, n)
	}
	if len(b) < 1+n {
		return 0, 0, ErrTruncated
	}
	l := 0
	for _, c := range b[1 : 1+n] {
		l = l<<8 | int(c)
	}
	if l > MaxLength {
		return 0, 0, fmt.Errorf("%w: %d bytes", ErrBadLength, l)
	}
	return l, 1 + n, nil
}

// Header reads the tag and length at the start of b without needing the value.
// It returns the header size and the total size (header + value). Used to learn a
// file's size from its first bytes.
func Header(b []byte) (tag Tag, headerLen, total int, err error) {
	tag, tn, err := ReadTag(b)
	if err != nil {
		return 0, 0, 0, err
	}
	l, ln, err := ReadLength(b[tn:])
	if err != nil {
		return 0, 0, 0, err
	}
	return tag, tn + ln, tn + ln + l, nil
}

// Parse reads one object from the start of b and returns it and the bytes after it.
func Parse(b []byte) (Object, []byte, error) {
	tag, hl, total, err := Header(b)
	if err != nil {
		return Object{}, nil, err
	}
	if total > len(b) {
		return Object{}, nil, fmt.Errorf("%w: tag %s needs %d bytes, %d left", ErrTruncated, tag, total-hl, len(b)-hl)
	}
	return Object{Tag: tag, Value: b[hl:total:total]}, b[total:], nil
}

// ParseOne parses b as exactly one object; trailing bytes are an error.
func ParseOne(b []byte) (Object, error) {
	o, rest, err := Parse(b)
	if err != nil {
		return Object{}, err
	}
	if len(rest) != 0 {
		return Object{}, fmt.Errorf("%w: %d after tag %s", ErrTrailing, len(rest), o.Tag)
	}
	return o, nil
}

// ParseAll parses b as a sequence of objects that fills it exactly.
func ParseAll(b []byte) ([]Object, error) {
	var out []Object
	for off := 0; len(b) > 0; {
		o, rest, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("at offset %d: %w", off, err)
		}
		off += len(b) - len(rest)
		out = append(out, o)
		b = rest
	}
	return out, nil
}

// Children parses the value of a constructed object.
func (o Object) Children() ([]Object, error) {
	if !o.Tag.Constructed() {
		return nil, fmt.Errorf("%w: tag %s", ErrNotConstructed, o.Tag)
	}
	return ParseAll(o.Value)
}

// Find returns the first direct child with tag t.
func (o Object) Find(t Tag) (Object, error) {
	cs, err := o.Children()
	if err != nil {
		return Object{}, err
	}
	for _, c := range cs {
		if c.Tag == t {
			return c, nil
		}
	}
	return Object{}, fmt.Errorf("%w: %s in %s", ErrNotFound, t, o.Tag)
}

// Path follows a path of tags down from o, each the first direct child with that tag.
func (o Object) Path(tags ...Tag) (Object, error) {
	if len(tags) > MaxDepth {
		return Object{}, ErrTooDeep
	}
	cur := o
	for _, t := range tags {
		next, err := cur.Find(t)
		if err != nil {
			return Object{}, err
		}
		cur = next
	}
	return cur, nil
}

// Node is a parsed tree: constructed objects have Children, primitive ones Value.
type Node struct {
	Tag      Tag
	Value    []byte // primitive value, or the whole content of a constructed object
	Children []Node
}

// ParseTree parses b as a sequence of objects and descends into constructed ones,
// up to MaxDepth levels.
func ParseTree(b []byte) ([]Node, error) {
	return parseTree(b, 0)
}

func parseTree(b []byte, depth int) ([]Node, error) {
	if depth > MaxDepth {
		return nil, ErrTooDeep
	}
	objs, err := ParseAll(b)
	if err != nil {
		return nil, err
	}
	out := make([]Node, 0, len(objs))
	for _, o := range objs {
		n := Node{Tag: o.Tag, Value: o.Value}
		if o.Tag.Constructed() {
			n.Children, err = parseTree(o.Value, depth+1)
			if err != nil {
				return nil, fmt.Errorf("in %s: %w", o.Tag, err)
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// EncodeLength returns the minimal definite length encoding of n.
func EncodeLength(n int) []byte {
	switch {
	case n < 0:
		panic("tlv: negative length")
	case n < 0x80:
		return []byte{byte(n)}
	case n <= 0xFF:
		return []byte{0x81, byte(n)}
	case n <= 0xFFFF:
		return []byte{0x82, byte(n >> 8), byte(n)}
	case n <= 0xFFFFFF:
		return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	default:
		return []byte{0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
}

// Encode returns tag || length || value.
func Encode(t Tag, value []byte) []byte {
	tb := t.Bytes()
	lb := EncodeLength(len(value))
	out := make([]byte, 0, len(tb)+len(lb)+len(value))
	out = append(out, tb...)
	out = append(out, lb...)
	return append(out, value...)
}

// Constructed encodes a constructed object from already-encoded children.
func Constructed(t Tag, children ...[]byte) []byte {
	n := 0
	for _, c := range children {
		n += len(c)
	}
	v := make([]byte, 0, n)
	for _, c := range children {
		v = append(v, c...)
	}
	return Encode(t, v)
}
