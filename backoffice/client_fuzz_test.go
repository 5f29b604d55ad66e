package backoffice

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// replyTransport answers every request with one canned reply: what a malicious or
// broken back office (or whatever sits on its address) could send.
type replyTransport struct {
	status      int
	contentType string
	body        []byte
}

func (r replyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: r.status, Header: http.Header{"Content-Type": {r.contentType}},
		Body: io.NopCloser(bytes.NewReader(r.body)), Request: req}, nil
}

var fuzzStatuses = []int{200, 201, 204, 301, 400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504, 299, 199, 600}

// FuzzReplies feeds the client's answer decoding (problem+json and the resident,
// payment order and health JSON) arbitrary replies. Whatever comes back: no panic;
// a non-2xx is an *Error with that status; a 5xx or an undecodable 2xx means
// "unavailable" to the kiosk's rules; a successful lookup came from a 2xx; and the
// resident's subject, which is only in the request path, never appears in an error.
func FuzzReplies(f *testing.F) {
	f.Add(uint8(0), true, []byte(`{"subject":"x","residency":"permanent","nationality":"CHN","passport":{"expiry":"2030-01-31"},"travel_permit":null,"one_account":{"status":"active","device_bound":true},"pending_applications":[{"service":"passport","submitted_on":"2026-11-01"}],"my_photo_on_file":true}`))
	f.Add(uint8(8), false, []byte(`{"type":"https://backoffice.dsi.example/problems/not-found","title":"Not Found","status":404,"code":"not-found"}`))
	f.Add(uint8(11), false, []byte(`{"type":"x","title":"Too Many","status":429,"code":"otp-locked","attempts_left":0}`))
	f.Add(uint8(12), false, []byte(`{"code":"internal","detail":"boom"}`))
	f.Add(uint8(0), true, []byte(`{"passport":{"expiry":"31/01/2030"}}`))
	f.Add(uint8(0), true, []byte(`{"reference":"261127-ABCD2345-7","status":"pending","method":"qr","amount":9000,"qr_payload":"wallet://pay?o=1"}`))
	f.Add(uint8(0), true, []byte(`{"one_account":{"password_locked_until":"not a time"}}`))
	f.Add(uint8(0), false, []byte(`{"subject":"0123456789abcdef0123456789abcdef","verified_at":"2026-11-27T10:00:00Z","holder":{"names":{"primary":"HO"},"sex":"F","birth_date":"1979-04-18","residency":"permanent","nationality":"CHN","card_issue_date":"2022-08-10"},"photo":{"format":"jpeg","data":"/9j/2Q=="}}`))
	f.Add(uint8(9), true, []byte(`{"type":"x","title":"Gone","status":410,"code":"qr-expired"}`))
	const subject = "SUBJECT-0123456789abcdef"
	f.Fuzz(func(t *testing.T, si uint8, problem bool, body []byte) {
		status := fuzzStatuses[int(si)%len(fuzzStatuses)]
		ct := "application/json"
		if problem {
			ct = ProblemContentType + "; charset=utf-8"
		}
		u, _ := url.Parse("https://backoffice.test")
		c := &Client{base: u, kioskID: "kiosk-fuzz", timeout: time.Second,
			http: &http.Client{Transport: replyTransport{status, ct, body}}}
		ctx := context.Background()
		check := func(op string, err error) {
			t.Helper()
			ok2xx := status >= 200 && status <= 299
			if err == nil {
				if !ok2xx {
					t.Fatalf("%s: status %d accepted", op, status)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: error %T is not a *backoffice.Error: %v", op, err, err)
			}
			if !ok2xx && e.Status != status {
				t.Fatalf("%s: error status %d, answer was %d", op, e.Status, status)
			}
			if status >= 500 && !errors.Is(err, kiosk.ErrBackOfficeUnavailable) {
				t.Fatalf("%s: a %d must be 'unavailable' to the kiosk: %v", op, status, err)
			}
			if !bytes.Contains(body, []byte(subject)) && strings.Contains(err.Error(), subject) {
				t.Fatalf("%s: the subject leaked into the error: %v", op, err)
			}
		}
		_, err := c.Lookup(ctx, subject)
		check("lookup", err)
		_, err = c.PaymentOrder(ctx, "261127-ABCD2345-7")
		check("payment order", err)
		check("health", c.Health(ctx))
		// The eID check: an identity only from a 2xx and with a usable photo; the
		// code (a bearer credential) never in an error.
		const code = "DSI1.L.FUZZCODE"
		id, err := c.VerifyEID(ctx, code)
		switch {
		case err == nil && (status < 200 || status > 299):
			t.Fatalf("eID: status %d accepted", status)
		case err == nil && (id == nil || len(id.Holder.Photo.Data) == 0 || len(id.Holder.Photo.Data) > MaxReferencePhoto):
			t.Fatalf("eID: identity without a usable photo: %+v", id)
		case err != nil && status >= 500 && !errors.Is(err, kiosk.ErrBackOfficeUnavailable):
			t.Fatalf("eID: a %d must be 'unavailable': %v", status, err)
		case err != nil && !bytes.Contains(body, []byte(code)) && strings.Contains(err.Error(), code):
			t.Fatalf("eID: the code leaked into the error: %v", err)
		}
	})
}
