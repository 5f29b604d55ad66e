package lds

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

// sameName compares two DER distinguished names as RFC 5280 §7.1 asks: RDN by
// RDN, attributes as sets, string values after insignificant-space handling and
// case folding (caseIgnoreMatch, RFC 4518 simplified), whatever string type
// (PrintableString, UTF8String...) encodes them. Equal bytes are the same name.
func sameName(a, b []byte) bool {
	if string(a) == string(b) {
		return true
	}
	var na, nb pkix.RDNSequence
	if rest, err := asn1.Unmarshal(a, &na); err != nil || len(rest) != 0 {
		return false
	}
	if rest, err := asn1.Unmarshal(b, &nb); err != nil || len(rest) != 0 {
		return false
	}
	if len(na) != len(nb) {
		return false
	}
	for i := range na {
		if !sameRDN(na[i], nb[i]) {
			return false
		}
	}
	return true
}

func sameRDN(a, b pkix.RelativeDistinguishedNameSET) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && x.Type.Equal(y.Type) && sameValue(x.Value, y.Value) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

func sameValue(a, b any) bool {
	sa, okA := a.(string)
	sb, okB := b.(string)
	if okA && okB {
		return foldName(sa) == foldName(sb)
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// foldName drops leading and trailing spaces, collapses inner runs of white space
// to one space and folds case.
func foldName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
