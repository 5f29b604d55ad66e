package icao

import (
	"bytes"
	"testing"

	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// FuzzParseCardAccess feeds EF.CardAccess as a chip could send it (it is read before
// any secure channel, so anyone's card or a relay can put anything there). Parsing
// must give an error or PACEInfos that encode back to SecurityInfos which parse to
// the same PACEInfos: what the kiosk acts on is exactly what the card said.
func FuzzParseCardAccess(f *testing.F) {
	f.Add(EncodeCardAccess(PACEInfo{Protocol: OIDPACEECDHGMAES128, Version: 2, ParameterID: ParamP256}))
	f.Add(EncodeCardAccess(PACEInfo{Protocol: OIDPACEECDHGMAES128, Version: 2, ParameterID: -1},
		PACEInfo{Protocol: OIDPACEECDHGMAES128, Version: 2, ParameterID: 13}))
	// A chip authentication info beside the PACEInfo (skipped).
	f.Add(tlv.Constructed(0x31,
		tlv.Constructed(0x30, tlv.Encode(0x06, []byte{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02}), tlv.Encode(0x02, []byte{1})),
		tlv.Constructed(0x30, tlv.Encode(0x06, OIDPACEECDHGMAES128), tlv.Encode(0x02, []byte{2}), tlv.Encode(0x02, []byte{12}))))
	f.Fuzz(func(t *testing.T, b []byte) {
		infos, err := ParseCardAccess(b)
		if err != nil {
			return
		}
		again, err := ParseCardAccess(EncodeCardAccess(infos...))
		if err != nil {
			t.Fatalf("PACEInfos %+v do not encode back: %v", infos, err)
		}
		if len(again) != len(infos) {
			t.Fatalf("%d PACEInfos became %d", len(infos), len(again))
		}
		for i := range infos {
			a, b := infos[i], again[i]
			if !bytes.Equal(a.Protocol, b.Protocol) || a.Version != b.Version || a.ParameterID != b.ParameterID {
				t.Fatalf("PACEInfo %d: %+v became %+v", i, a, b)
			}
		}
	})
}
