package kiosk

import (
	"bytes"
	"crypto/rand"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMod3736KnownValues(t *testing.T) {
	// Worked values of ISO/IEC 7064 MOD 37-36, computed by hand from the standard's
	// recursion (p starts at 36; s = (p + a) mod 36, 0 read as 36; p = 2s mod 37).
	cases := []string{"0", "A", "Z", "0000", "260514ABCDEFGH", "999999ZZZZZZZZ"}
	// Recompute the expectations independently of mod3736 with big steps, so this test
	// checks the implementation against a second one rather than against itself.
	ref := func(s string) byte {
		p := 36
		for _, c := range s {
			v := strings.IndexRune(checkSymbols, c)
			sum := (p + v) % 36
			if sum == 0 {
				sum = 36
			}
			p = sum * 2 % 37
		}
		for v := 0; v < 36; v++ { // the check character is the one that makes the chain end in 1
			sum := (p + v) % 36
			if sum == 0 {
				sum = 36
			}
			if sum == 1 {
				return checkSymbols[v]
			}
		}
		return '?'
	}
	for _, s := range cases {
		got, err := mod3736(s)
		if err != nil {
			t.Fatal(err)
		}
		if want := ref(s); got != want {
			t.Errorf("mod3736(%q) = %c, want %c", s, got, want)
		}
	}
}

func TestReferences(t *testing.T) {
	g := References{Rand: bytes.NewReader(bytes.Repeat([]byte{7, 250, 33, 100, 255, 0, 9, 18, 40, 77}, 10))}
	now := time.Date(2026, 5, 13, 23, 30, 0, 0, time.UTC) // 07:30 on the 14th in Macau
	ref, err := g.New(now)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^260514-[0-9A-HJ-NP-Z]{8}-[0-9A-Z]$`).MatchString(ref) {
		t.Fatalf("reference %q has the wrong shape", ref)
	}
	// Bytes 250 and 255 are rejected (≥ 238) so every character is equally likely.
	// 7, 33, 100%34, 0, 9, 18, 40%34, 77%34 → 7 Z Y 0 9 J 6 9.
	if got := ref[7:15]; got != "7ZY09J69" {
		t.Errorf("random part %q does not follow the rejection sampling", got)
	}
	canon, err := CheckReference(strings.ToLower(strings.ReplaceAll(ref, "-", " ")))
	if err != nil || canon != ref {
		t.Fatalf("CheckReference(%q) = %q, %v", ref, canon, err)
	}
	// Every single-character substitution and every adjacent transposition is caught.
	raw := strings.ReplaceAll(ref, "-", "")
	for i := 0; i < len(raw); i++ {
		for _, c := range checkSymbols {
			if byte(c) == raw[i] {
				continue
			}
			bad := raw[:i] + string(c) + raw[i+1:]
			if _, err := CheckReference(bad); err == nil {
				t.Errorf("substitution %q accepted", bad)
			}
		}
		if i+1 < len(raw) && raw[i] != raw[i+1] {
			bad := raw[:i] + string(raw[i+1]) + string(raw[i]) + raw[i+2:]
			if _, err := CheckReference(bad); err == nil {
				t.Errorf("transposition %q accepted", bad)
			}
		}
	}
	for _, bad := range []string{"", "260514-ABCD", "26051A-7KQ2M4PT-X", "260514-7KQ2M4PT-*"} {
		if _, err := CheckReference(bad); !errors.Is(err, ErrBadReference) {
			t.Errorf("CheckReference(%q) = %v, want ErrBadReference", bad, err)
		}
	}
	if _, err := (References{Rand: bytes.NewReader(nil)}).New(now); err == nil {
		t.Error("no randomness: no error")
	}
}

func TestReferencesUnique(t *testing.T) {
	g := References{Rand: rand.Reader}
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, MacauTime)
	seen := map[string]bool{}
	for i := 0; i < 100_000; i++ {
		r, err := g.New(now)
		if err != nil {
			t.Fatal(err)
		}
		if seen[r] {
			t.Fatalf("duplicate reference %s after %d", r, i)
		}
		seen[r] = true
	}
}

func BenchmarkReference(b *testing.B) {
	g := References{Rand: rand.Reader}
	now := time.Now()
	for b.Loop() {
		if _, err := g.New(now); err != nil {
			b.Fatal(err)
		}
	}
}
