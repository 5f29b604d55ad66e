package office_test

import (
	"context"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestApplicationPhoto: an application's document photo over mTLS, each request and
// answer checked against api/backoffice.yaml: a JPEG taken at the kiosk is kept with
// the application; My Photo is accepted only when one is on file; a service without
// a photo, or bytes that are not a 35:45 JPEG, are refused.
func TestApplicationPhoto(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	tests := []struct {
		name   string
		svc    kiosk.ServiceID
		card   string
		photo  *kiosk.ApplicationPhoto
		ok     bool
		source string
	}{
		{"taken at the kiosk", kiosk.ServiceIDRenewal, cardDemo, &kiosk.ApplicationPhoto{Source: kiosk.PhotoSourceKiosk, JPEG: kiosktest.SamplePhoto}, true, "kiosk"},
		{"My Photo on file", kiosk.ServiceIDRenewal, cardDemo, &kiosk.ApplicationPhoto{Source: kiosk.PhotoSourceMyPhoto}, true, "my_photo"},
		{"My Photo, none on file", kiosk.ServiceIDRenewal, cardMinor, &kiosk.ApplicationPhoto{Source: kiosk.PhotoSourceMyPhoto}, false, ""},
		{"not a JPEG", kiosk.ServiceIDRenewal, cardDemo, &kiosk.ApplicationPhoto{Source: kiosk.PhotoSourceKiosk, JPEG: []byte("no picture here")}, false, ""},
		{"One Account has no photo", kiosk.ServiceOneAccount, cardDemo, &kiosk.ApplicationPhoto{Source: kiosk.PhotoSourceMyPhoto}, false, ""},
		{"no photo at all", kiosk.ServiceIDRenewal, cardDemo, nil, true, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := "261128-PH0T0" + string(rune('A'+i)) + "2M-X"
			msg := app(h, ref, tt.svc, tt.card, 0)
			msg.Photo = tt.photo
			_, err := c.Submit(ctx, ref, msg)
			ex := h.last()
			if ex.requestErr != nil || ex.responseErr != nil {
				t.Errorf("contract: request %v, response %v", ex.requestErr, ex.responseErr)
			}
			if (err == nil) != tt.ok {
				t.Fatalf("submit: %v (status %d), want ok=%v", err, ex.status, tt.ok)
			}
			if !tt.ok {
				if ex.status != 422 {
					t.Errorf("status %d, want 422", ex.status)
				}
				return
			}
			var source *string
			var n int
			if err := h.office.DB.QueryRow(`SELECT photo_source, coalesce(length(photo), 0) FROM applications WHERE reference = ?`, ref).Scan(&source, &n); err != nil {
				t.Fatal(err)
			}
			got := ""
			if source != nil {
				got = *source
			}
			want := 0
			if tt.photo != nil {
				want = len(tt.photo.JPEG)
			}
			if got != tt.source || n != want {
				t.Errorf("kept photo_source %q, %d bytes; want %q, %d", got, n, tt.source, want)
			}
		})
	}
}
