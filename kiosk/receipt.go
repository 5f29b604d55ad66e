package kiosk

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Receipt references look like "260514-7KQ2M4PT-X": the date in Macau (YYMMDD), eight
// random characters, and an ISO/IEC 7064 MOD 37-36 check character over the fourteen
// before it, so a mistyped reference at the counter is caught before any lookup.
//
// The random part avoids I and O (read as 1 and 0); the check character can be any of
// 0-9A-Z, as the standard defines it. 34^8 ≈ 1.8e12 per day: with a few thousand
// applications per kiosk per day a collision is far less likely than a hardware fault,
// and the store's unique key catches it anyway.

const (
	refAlphabet  = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ" // random part: no I, O
	checkSymbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	refRandomLen = 8
)

// ErrBadReference is wrapped when a reference is malformed or its check fails.
var ErrBadReference = errors.New("bad receipt reference")

// References makes receipt references from an injected clock and randomness.
type References struct {
	Rand     io.Reader      // crypto/rand.Reader in production
	Location *time.Location // the date part is the local date here (Macau)
}

// New returns a fresh reference for time now.
func (g References) New(now time.Time) (string, error) {
	loc := g.Location
	if loc == nil {
		loc = MacauTime
	}
	date := now.In(loc).Format("060102")
	var b strings.Builder
	b.WriteString(date)
	buf := make([]byte, 1)
	for n := 0; n < refRandomLen; {
		if _, err := io.ReadFull(g.Rand, buf); err != nil {
			return "", fmt.Errorf("reference: reading randomness: %w", err)
		}
		// Rejection sampling keeps every character equally likely.
		if int(buf[0]) >= 256/len(refAlphabet)*len(refAlphabet) {
			continue
		}
		b.WriteByte(refAlphabet[int(buf[0])%len(refAlphabet)])
		n++
	}
	body := b.String()
	c, err := mod3736(body)
	if err != nil {
		return "", err
	}
	return body[:6] + "-" + body[6:] + "-" + string(c), nil
}

// MacauTime is UTC+8 without daylight saving, as Macau keeps it. A fixed zone needs no
// tzdata on the kiosk.
var MacauTime = time.FixedZone("CST", 8*3600)

// CheckReference validates a reference typed at the counter (case and spaces ignored)
// and returns it in canonical form.
func CheckReference(s string) (string, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	raw := strings.ReplaceAll(s, "-", "")
	if len(raw) != 6+refRandomLen+1 {
		return "", fmt.Errorf("%w: want %d characters, got %d", ErrBadReference, 6+refRandomLen+1, len(raw))
	}
	for i := 0; i < 6; i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return "", fmt.Errorf("%w: date part must be digits", ErrBadReference)
		}
	}
	want, err := mod3736(raw[:len(raw)-1])
	if err != nil {
		return "", err
	}
	if raw[len(raw)-1] != want {
		return "", fmt.Errorf("%w: check character does not match", ErrBadReference)
	}
	return raw[:6] + "-" + raw[6:6+refRandomLen] + "-" + raw[len(raw)-1:], nil
}

// mod3736 computes the ISO/IEC 7064 MOD 37-36 (hybrid) check character of s.
func mod3736(s string) (byte, error) {
	const m = 36
	p := m
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(checkSymbols, s[i])
		if v < 0 {
			return 0, fmt.Errorf("%w: character %q", ErrBadReference, s[i])
		}
		p = (p + v) % m
		if p == 0 {
			p = m
		}
		p = (p * 2) % (m + 1)
	}
	return checkSymbols[(m+1-p)%m], nil
}
