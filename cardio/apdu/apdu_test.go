package apdu

import (
	"bytes"
	"context"
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

func TestCommandEncoding(t *testing.T) {
	big := bytes.Repeat([]byte{1}, 300)
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"case 1", Command{CLA: 0, INS: 0x20, P1: 0, P2: 0x81}, "00200081"},
		{"case 2S", Command{INS: 0xB0, Ne: 4}, "00B0000004"},
		{"case 2S 256", Command{INS: 0xB0, Ne: 256}, "00B0000000"},
		{"case 3S", Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: hx("A0000002471001")}, "00A4040C07A0000002471001"},
		{"case 4S", Command{INS: 0x82, Data: hx("0102"), Ne: 0x28}, "008200000201 0228"},
		{"case 2E", Command{INS: 0xB0, Ne: 0xFFFF}, "00B00000 00FFFF"},
		{"case 2E 65536", Command{INS: 0xB0, Ne: 65536}, "00B00000 000000"},
		{"case 2E forced", Command{INS: 0xB0, Ne: 4, Extended: true}, "00B00000 000004"},
		{"case 3E", Command{INS: 0xD6, Data: big}, "00D60000 00012C" + hex.EncodeToString(big)},
		{"case 4E", Command{INS: 0xD6, Data: big, Ne: 65536}, "00D60000 00012C" + hex.EncodeToString(big) + "0000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := hx(stripSpaces(tc.want))
			got, err := tc.cmd.Bytes()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("Bytes() = %X, %v; want %X", got, err, want)
			}
			back, err := ParseCommand(got)
			if err != nil {
				t.Fatal(err)
			}
			if back.CLA != tc.cmd.CLA || back.INS != tc.cmd.INS || back.Ne != tc.cmd.Ne || !bytes.Equal(back.Data, tc.cmd.Data) || back.IsExtended() != tc.cmd.IsExtended() {
				t.Fatalf("round trip = %+v", back)
			}
		})
	}
	if _, err := (Command{Data: make([]byte, 70000)}).Bytes(); err == nil {
		t.Error("oversized data accepted")
	}
	if _, err := (Command{Ne: 70000}).Bytes(); err == nil {
		t.Error("oversized Ne accepted")
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

func TestParseCommandMalformed(t *testing.T) {
	for _, in := range []string{"", "00A404", "00A4040C05A000", "00A4040C02A0000102", "00B0000000", "00B000000001", "00D60000000002AA"} {
		if _, err := ParseCommand(hx(in)); in == "00B0000000" {
			if err != nil {
				t.Errorf("%s: %v", in, err)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", in, err)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		sw   uint16
		want error
	}{
		{0x6A82, ErrFileNotFound}, {0x6982, ErrSecurityStatus}, {0x6983, ErrAuthBlocked},
		{0x63C2, ErrVerificationFailed}, {0x6700, ErrWrongLength}, {0x6988, ErrSMObjectsIncorrect},
		{0x6D00, ErrINSNotSupported}, {0x6E00, ErrCLANotSupported}, {0x6B00, ErrWrongP1P2},
		{0x6A86, ErrWrongP1P2}, {0x6282, ErrEndOfFile}, {0x6987, ErrSMObjectsMissing}, {0x9123, ErrUnknownStatus},
	}
	for _, tc := range tests {
		err := Response{SW: tc.sw}.Err()
		if !errors.Is(err, tc.want) {
			t.Errorf("%04X: %v does not unwrap to %v", tc.sw, err, tc.want)
		}
		if sw, ok := SWOf(err); !ok || sw != tc.sw {
			t.Errorf("SWOf(%04X) = %04X", tc.sw, sw)
		}
	}
	var se *StatusError
	if !errors.As(Response{SW: 0x63C1}.Err(), &se) {
		t.Fatal("not a StatusError")
	}
	if n, ok := se.TriesLeft(); !ok || n != 1 {
		t.Errorf("TriesLeft = %d %v", n, ok)
	}
	if (Response{SW: 0x9000}).Err() != nil {
		t.Error("9000 is an error")
	}
}

func TestExchange(t *testing.T) {
	var seen [][]byte
	card := TransceiverFunc(func(_ context.Context, c []byte) ([]byte, error) {
		seen = append(seen, append([]byte(nil), c...))
		switch {
		case bytes.Equal(c, hx("00B0000005")):
			return hx("6C03"), nil
		case bytes.Equal(c, hx("00B0000003")):
			return hx("0102036102"), nil
		case bytes.Equal(c, hx("00C0000002")):
			return hx("04059000"), nil
		}
		return hx("6D00"), nil
	})
	r, err := Exchange(context.Background(), card, Command{INS: 0xB0, Ne: 5})
	if err != nil || r.SW != 0x9000 || !bytes.Equal(r.Data, hx("0102030405")) {
		t.Fatalf("Exchange = %X %04X %v (sent %X)", r.Data, r.SW, err, seen)
	}
	if _, err := ParseResponse([]byte{0x90}); !errors.Is(err, ErrMalformed) {
		t.Error("1-byte response accepted")
	}
}

// TestExchangeFaulty6C: a card that answers 6Cxx to everything gets one re-send with
// the Le it asked for, and its second 6Cxx goes back to the caller.
func TestExchangeFaulty6C(t *testing.T) {
	n := 0
	card := TransceiverFunc(func(ctx context.Context, c []byte) ([]byte, error) {
		n++
		if n > 10 {
			return nil, errors.New("re-sent forever")
		}
		return hx("6C04"), nil
	})
	r, err := Exchange(context.Background(), card, Command{INS: 0xB0, Ne: 5})
	if err != nil || r.SW != 0x6C04 || n != 2 {
		t.Fatalf("SW %04X, %v, %d commands, want 6C04 after 2", r.SW, err, n)
	}
}
