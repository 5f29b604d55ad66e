package vpcdtest_test

// Integration of the emulator with the reader side (cardio) through the real stack:
// cardio → ebfe/scard → pcscd → vpcd → emulator.

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/macau-dsi/kiosk/cardio"
	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/kiosk"
)

const testdata = "../emulator/testdata"

// pcscT is a plain PC/SC transceiver over ebfe/scard.
type pcscT struct{ card *scard.Card }

func (p pcscT) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.card.Transmit(cmd)
}

func open(t testing.TB, env *vpcdtest.Env) (pcscT, []byte) {
	t.Helper()
	c, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Release() })
	card, err := c.Connect(env.ReaderName, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatalf("Connect %s: %v", env.ReaderName, err)
	}
	t.Cleanup(func() { card.Disconnect(scard.ResetCard) })
	st, err := card.Status()
	if err != nil {
		t.Fatal(err)
	}
	return pcscT{card}, st.Atr
}

func failedChecks(r *kiosk.CardRead) []string {
	var out []string
	for _, c := range r.PassiveAuth {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func TestReadEveryProfileThroughPCSC(t *testing.T) {
	env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(testdata, "adult.yaml")})
	trust, err := lds.LoadTrustStore(env.TrustStore)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		profile  string
		verified bool
		failed   []string
		format   string
		can      string // PACE-CAN instead of BAC
	}{
		{"adult.yaml", true, nil, "jpeg", ""},
		{"portuguese-jp2.yaml", true, nil, "jp2", ""},
		{"expired-card.yaml", true, nil, "jpeg", ""}, // genuine chip; the expiry is the kiosk's business rule
		{"minor.yaml", true, nil, "jpeg", ""},
		{"blocked-pin.yaml", true, nil, "jpeg", ""},
		{"bench-20k.yaml", true, nil, "jpeg", ""},
		{"tampered-dg.yaml", false, []string{lds.HashCheckName(11)}, "jpeg", ""},
		{"expired-signer.yaml", false, []string{lds.CheckDSValidity}, "jpeg", ""},
		{"pace.yaml", true, nil, "jpeg", ""},
		{"pace.yaml", true, nil, "jpeg", "314159"},
	} {
		t.Run(tc.profile+tc.can, func(t *testing.T) {
			if err := env.Replace(filepath.Join(testdata, tc.profile)); err != nil {
				t.Fatal(err)
			}
			tr, atr := open(t, env)
			read, st, err := cardio.ReadCard(context.Background(), tr, cardio.ReadOptions{Trust: trust, Now: time.Now(), ATR: atr, CAN: tc.can})
			if err != nil {
				t.Fatalf("ReadCard: %v", err)
			}
			if want := map[bool]string{false: cardio.AccessBAC, true: cardio.AccessPACE}[tc.can != ""]; read.Access != want {
				t.Errorf("access %s, want %s", read.Access, want)
			}
			p := env.Profile
			h := read.Holder
			// The tampered DG11 carries a changed full date of birth (its last byte);
			// which date the reader keeps then is its choice.
			birthOK := h.BirthDate.Equal(p.BirthTime()) || p.Faults.TamperDG == 11
			if h.DocumentNumber != p.DocumentNumber || h.Names.Chinese != p.Names.Chinese || h.Names.Portuguese != p.Names.Portuguese ||
				!birthOK || !h.ExpiryDate.Equal(p.ExpiryTime()) || !h.IssueDate.Equal(p.IssueTime()) ||
				h.Nationality != p.Nationality || h.Sex != p.Sex {
				shown := h
				shown.Photo = kiosk.FacePhoto{}
				t.Errorf("holder read %+v differs from the profile", shown)
			}
			img, _ := p.PhotoData()
			if h.Photo.Format != tc.format || !slices.Equal(h.Photo.Data, img) {
				t.Errorf("photo %s of %d bytes, want %s of %d", h.Photo.Format, len(h.Photo.Data), tc.format, len(img))
			}
			if read.Verified != tc.verified || !slices.Equal(failedChecks(read), tc.failed) {
				t.Errorf("verified %v with failed checks %v, want %v with %v", read.Verified, failedChecks(read), tc.verified, tc.failed)
			}
			if !st.Extended {
				t.Error("the read did not use extended length")
			}
			t.Logf("%s: %d APDUs", tc.profile, st.APDUs)
		})
	}
}

func TestPullInTheMiddleOfDG2(t *testing.T) {
	env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(testdata, "bench-20k.yaml")})
	trust, _ := lds.LoadTrustStore(env.TrustStore)
	tr, atr := open(t, env)
	// Short APDUs so that DG2 takes many reads; pull at the third.
	env.PullOnRead(emulator.FIDDG2, 3)
	read, _, err := cardio.ReadCard(context.Background(), tr, cardio.ReadOptions{Trust: trust, Now: time.Now(), ATR: atr, ForceShort: true})
	if err == nil {
		t.Fatalf("ReadCard succeeded with the card pulled mid-DG2 (verified %v)", read.Verified)
	}
	t.Logf("ReadCard with the card pulled: %v", err)
	if err := env.WaitRemoved(); err != nil {
		t.Fatal(err)
	}
	// Back in, the card reads fine.
	if err := env.Insert(); err != nil {
		t.Fatal(err)
	}
	tr, atr = open(t, env)
	if read, _, err := cardio.ReadCard(context.Background(), tr, cardio.ReadOptions{Trust: trust, Now: time.Now(), ATR: atr}); err != nil || !read.Verified {
		t.Fatalf("read after re-insert: %v", err)
	}
}

func TestBlockThePINThroughPCSC(t *testing.T) {
	env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(testdata, "adult.yaml")})
	tr, _ := open(t, env)
	ctx := context.Background()
	if n, err := cardio.PINTriesLeft(ctx, tr); err != nil || n != 3 {
		t.Fatalf("tries left %d, %v; want 3", n, err)
	}
	var wrong *kiosk.WrongPINError
	for _, want := range []int{2, 1} {
		err := cardio.VerifyPIN(ctx, tr, []byte("000000"), 0, false)
		if !errors.As(err, &wrong) || wrong.TriesLeft != want {
			t.Fatalf("wrong PIN: %v, want %d tries left", err, want)
		}
	}
	if err := cardio.VerifyPIN(ctx, tr, []byte("000000"), 0, false); !errors.Is(err, cardio.ErrPINNotWarned) {
		t.Fatalf("last try without warning: %v, want ErrPINNotWarned", err)
	}
	if err := cardio.VerifyPIN(ctx, tr, []byte("000000"), 0, true); !errors.Is(err, kiosk.ErrCardBlocked) {
		t.Fatalf("last wrong try: %v, want ErrCardBlocked", err)
	}
	if err := cardio.VerifyPIN(ctx, tr, []byte(env.Profile.PIN), 0, true); !errors.Is(err, kiosk.ErrCardBlocked) {
		t.Fatalf("right PIN on a blocked card: %v, want ErrCardBlocked", err)
	}
	// Blocked stays blocked when the card is pulled and inserted again.
	if err := env.Pull(); err != nil {
		t.Fatal(err)
	}
	if err := env.Insert(); err != nil {
		t.Fatal(err)
	}
	tr, _ = open(t, env)
	if _, err := cardio.PINTriesLeft(ctx, tr); !errors.Is(err, kiosk.ErrCardBlocked) {
		t.Errorf("after re-insert: %v, want ErrCardBlocked", err)
	}
}

// BenchmarkFullReadVerify20KB reads and verifies the 20 KB-photo profile through
// pcscd and vpcd: BAC, EF.COM, DG1, DG11, DG12, DG2, EF.SOD and passive
// authentication, as the kiosk does at every card insertion.
func BenchmarkFullReadVerify20KB(b *testing.B) {
	for _, mode := range []struct {
		name  string
		short bool
		can   string // PACE-CAN instead of BAC (the profile's card offers both)
	}{{"extended", false, ""}, {"short", true, ""}, {"pace-extended", false, "271828"}, {"pace-short", true, "271828"}} {
		b.Run(mode.name, func(b *testing.B) {
			env := vpcdtest.StartT(b, vpcdtest.Options{Profile: filepath.Join(testdata, "bench-20k.yaml")})
			trust, err := lds.LoadTrustStore(env.TrustStore)
			if err != nil {
				b.Fatal(err)
			}
			tr, atr := open(b, env)
			var times []time.Duration
			var apdus int
			for b.Loop() {
				t0 := time.Now()
				read, st, err := cardio.ReadCard(context.Background(), tr, cardio.ReadOptions{Trust: trust, Now: time.Now(), ATR: atr, ForceShort: mode.short, CAN: mode.can})
				times = append(times, time.Since(t0))
				if err != nil || !read.Verified {
					b.Fatalf("read: %v", err)
				}
				apdus = st.APDUs
			}
			slices.Sort(times)
			b.ReportMetric(float64(apdus), "APDUs/op")
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
		})
	}
}
