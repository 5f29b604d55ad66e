package backoffice

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

func TestExpand(t *testing.T) {
	for _, tc := range []struct {
		route string
		segs  []string
		want  string
		ok    bool
	}{
		{"/v1/health", nil, "/v1/health", true},
		{"/v1/residents/{subject}", []string{"abc"}, "/v1/residents/abc", true},
		{"/v1/payment-orders/{reference}/cancel", []string{"261128-7KQ2M4PT-X"}, "/v1/payment-orders/261128-7KQ2M4PT-X/cancel", true},
		{"/v1/residents/{subject}", []string{"a b"}, "/v1/residents/a%20b", true},
		{"/v1/residents/{subject}", []string{"../health"}, "", false},
		{"/v1/residents/{subject}", []string{""}, "", false},
		{"/v1/residents/{subject}", nil, "", false},
		{"/v1/health", []string{"x"}, "", false},
	} {
		got, err := expand(tc.route, tc.segs)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("expand(%s, %q) = %q, %v; want %q ok=%v", tc.route, tc.segs, got, err, tc.want, tc.ok)
		}
	}
}

func TestKindOf(t *testing.T) {
	for status, want := range map[int]error{
		400: ErrInvalid, 401: ErrForbidden, 403: ErrForbidden, 404: ErrNotFound, 409: ErrConflict,
		410: ErrGone, 422: ErrInvalid, 429: ErrRateLimited, 500: ErrUnavailable, 502: ErrUnavailable, 503: ErrUnavailable,
	} {
		if got := kindOf(status); got != want {
			t.Errorf("kindOf(%d) = %v, want %v", status, got, want)
		}
	}
	// ErrUnavailable is the kiosk's "back office unavailable"; the others are not.
	if !errors.Is(&Error{kind: ErrUnavailable}, kiosk.ErrBackOfficeUnavailable) {
		t.Error("ErrUnavailable does not unwrap to kiosk.ErrBackOfficeUnavailable")
	}
	if !errors.Is(&Error{kind: ErrTLS}, kiosk.ErrBackOfficeUnavailable) {
		t.Error("ErrTLS does not unwrap to kiosk.ErrBackOfficeUnavailable")
	}
	if errors.Is(&Error{kind: ErrNotFound, Status: 404}, kiosk.ErrBackOfficeUnavailable) {
		t.Error("a 404 is reported as unavailable")
	}
}

func TestResidentRecord(t *testing.T) {
	locked := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	r := Resident{
		Passport:   &TravelDocument{Expiry: "2027-03-28"},
		OneAccount: OneAccountStatus{Status: AccountActive, DeviceBound: true, PasswordLockedUntil: &locked},
		Pending:    []PendingApplication{{Service: kiosk.ServiceIDRenewal, SubmittedOn: "2026-11-18"}},
	}
	rec, err := r.Record()
	if err != nil {
		t.Fatal(err)
	}
	if rec.Passport == nil || rec.Passport.Expiry != (kiosk.Date{Year: 2027, Month: 3, Day: 28}) || rec.TravelPermit != nil ||
		!rec.OneAccount.Exists || !rec.OneAccount.DeviceBound || !rec.OneAccount.PasswordLockedUntil.Equal(locked) ||
		len(rec.Pending) != 1 || rec.Pending[0] != kiosk.ServiceIDRenewal {
		t.Fatalf("Record = %+v", rec)
	}
	if rec, _ := (Resident{OneAccount: OneAccountStatus{Status: AccountNone}}).Record(); rec.OneAccount.Exists {
		t.Error("status none is an existing account")
	}
	if _, err := (Resident{TravelPermit: &TravelDocument{Expiry: "28/03/2027"}}).Record(); err == nil {
		t.Error("a malformed expiry was accepted")
	}
}

// TestResidentRecordFields: each field the kiosk's rules read is carried over, one
// at a time (a field dropped by Record shows as the zero value).
func TestResidentRecordFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Resident
		ok   func(kiosk.ResidentRecord) bool
	}{
		{"nationality", Resident{Nationality: "PRT"}, func(r kiosk.ResidentRecord) bool { return r.Nationality == "PRT" }},
		{"other travel document", Resident{OtherTravel: true}, func(r kiosk.ResidentRecord) bool { return r.OtherTravelDocument }},
		{"counter only", Resident{CounterOnly: true}, func(r kiosk.ResidentRecord) bool { return r.CounterOnly }},
		{"my photo", Resident{MyPhotoOnFile: true}, func(r kiosk.ResidentRecord) bool { return r.MyPhoto }},
		{"none set", Resident{Nationality: "CHN"}, func(r kiosk.ResidentRecord) bool {
			return r.Nationality == "CHN" && !r.OtherTravelDocument && !r.CounterOnly && !r.MyPhoto
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := tc.in.Record()
			if err != nil || !tc.ok(rec) {
				t.Fatalf("Record(%+v) = %+v, %v", tc.in, rec, err)
			}
		})
	}
}

func TestParseAuditHead(t *testing.T) {
	mac := strings.Repeat("0a", 32)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"12:" + mac, true},
		{"0:" + mac, true},
		{"12:" + strings.ToUpper(mac), false},
		{"12:" + mac[:62], false},
		{"-1:" + mac, false},
		{mac, false},
		{"", false},
	} {
		a, err := ParseAuditHead(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (a.MAC != strings.SplitN(tc.in, ":", 2)[1])) {
			t.Errorf("ParseAuditHead(%q) = %+v, %v", tc.in, a, err)
		}
	}
}

// TestWriteNeedsKey: no write leaves without an Idempotency-Key (checked before any
// network use, so a client with no reachable server shows it).
func TestWriteNeedsKey(t *testing.T) {
	c := &Client{http: &http.Client{}, timeout: time.Second}
	err := c.call(context.Background(), http.MethodPost, "/v1/applications", nil, "", struct{}{}, nil)
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("write without key: %v", err)
	}
}

func TestIsProblem(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/problem+json":                true,
		"application/problem+json; charset=utf-8": true,
		"application/json":                        false,
		"text/html":                               false,
		"":                                        false,
	} {
		if got := isProblem(ct); got != want {
			t.Errorf("isProblem(%q) = %v", ct, got)
		}
	}
}
