package emulator_test

import (
	"bytes"
	"testing"

	"github.com/ebfe/scard"

	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
)

// TestATRProtocolThroughPCSC: pcscd and the vpcd driver take the emulator's ATR as
// it says, T=1 only: a connection for any protocol gets T=1, one for T=0 alone is
// refused, and APDUs go through.
func TestATRProtocolThroughPCSC(t *testing.T) {
	env := vpcdtest.StartT(t, vpcdtest.Options{Profile: "testdata/adult.yaml"})
	if env == nil {
		return
	}
	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Release()
	// First, on the fresh card (pcscd sets the protocol at the first connection
	// after power-on): T=0 alone must be refused, the card does not offer it.
	if c0, err := ctx.Connect(env.ReaderName, scard.ShareShared, scard.ProtocolT0); err == nil {
		t.Errorf("a T=0 connection was accepted: protocol %v", c0.ActiveProtocol())
		c0.Disconnect(scard.ResetCard)
	} else {
		t.Logf("T=0 only: %v", err)
	}
	card, err := ctx.Connect(env.ReaderName, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	st, err := card.Status()
	if err != nil || !bytes.Equal(st.Atr, emulator.ATR) {
		t.Fatalf("ATR % X (%v), want % X", st.Atr, err, emulator.ATR)
	}
	if p := card.ActiveProtocol(); p != scard.ProtocolT1 {
		t.Errorf("active protocol %v, want T=1", p)
	}
	// SELECT of the LDS application, a case 3 command.
	r, err := card.Transmit([]byte{0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01})
	if err != nil || !bytes.Equal(r, []byte{0x90, 0x00}) {
		t.Errorf("SELECT: % X, %v", r, err)
	}
	card.Disconnect(scard.LeaveCard)
}
