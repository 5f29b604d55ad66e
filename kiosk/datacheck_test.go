package kiosk_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

func TestDataCheckBeforeADocument(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	h.ToMenu()
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceIDRenewal})
	s := h.WaitState(kiosk.StateCheckData)
	d := s.Data
	if d == nil || d.NameChinese != "陳大文" || d.NamePortuguese != "CHAN TAI MAN" || d.Sex != "M" ||
		d.BirthDate != (kiosk.Date{Year: 1990, Month: 5, Day: 10}) || d.Residency != kiosk.ResidencyPermanent {
		t.Fatalf("data check %+v", d)
	}
	if d.CardNumber != "1•••••7(8)" || strings.Contains(d.CardNumber, "23456") {
		t.Errorf("card number shown as %q", d.CardNumber)
	}
	if !slices.Equal(d.Editable, []string{kiosk.FieldAddress, kiosk.FieldPhoneNumber, kiosk.FieldOccupation, kiosk.FieldEmergencyName, kiosk.FieldEmergencyPhone}) {
		t.Errorf("editable %v", d.Editable)
	}
	// Anything else wrong is a counter task.
	h.Press(kiosk.EvDataWrong)
	s = h.WaitState(kiosk.StateCounter)
	if s.Message != kiosk.ReasonDataChangeCounter || s.Data != nil {
		t.Fatalf("counter %+v", s)
	}

	// A One Account starts from the verified card as it is: no data check.
	h2 := kiosktest.NewHarness(t).Start()
	h2.ToMenu()
	h2.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
	h2.WaitState(kiosk.StateOAPhone)
}

func TestRenewalChangesOnlyWhatItMay(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	h.ToMenu()
	h.Choose(kiosk.ServiceIDRenewal)
	h.Fill(kiosk.FieldCollectionOffice, "office_central", kiosk.FieldPhoneNumber, "66123456",
		kiosk.FieldAddress, "  Rua de S. Paulo, n.º 12,\t3/F  \x00<script>",
		kiosk.FieldEmergencyName, "LEI Mei", kiosk.FieldEmergencyPhone, "12345678")
	h.Press(kiosk.EvContinue)
	s := h.Wait("emergency phone refused", func(s kiosk.Snapshot) bool {
		for _, f := range s.Form {
			if f.Name == kiosk.FieldEmergencyPhone && f.Error == kiosk.FormPhoneInvalid {
				return true
			}
		}
		return false
	})
	for _, f := range s.Form {
		if f.Name == kiosk.FieldAddress && f.Value != "Rua de S. Paulo, n.º 12, 3/F script" {
			t.Errorf("address kept as %q", f.Value)
		}
		if f.Name == kiosk.FieldAddress && f.MaxLen != 120 {
			t.Errorf("address MaxLen %d", f.MaxLen)
		}
	}
	h.Fill(kiosk.FieldEmergencyPhone, "28123456") // a fixed line is fine for a contact
	h.Press(kiosk.EvContinue)
	sum := h.WaitState(kiosk.StateSummary)
	var labels []string
	for _, l := range sum.Summary.Lines {
		labels = append(labels, string(l.Label))
	}
	if !slices.Contains(labels, "field.address") || slices.Contains(labels, "field.occupation") {
		t.Errorf("summary lines %v (an empty field stays as on record and is not listed)", labels)
	}
	h.Press(kiosk.EvConfirm)
	h.Pay(kiosk.PaymentQR)
	h.WaitState(kiosk.StateDone)
	var msg kiosk.ApplicationMessage
	if err := json.Unmarshal(h.Store.Applications()[0].Payload, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Form[kiosk.FieldAddress] == "" || msg.Form[kiosk.FieldEmergencyPhone] != "28123456" {
		t.Errorf("payload form %v", msg.Form)
	}
	if _, ok := msg.Form[kiosk.FieldOccupation]; ok {
		t.Error("an unchanged field is in the application")
	}
	// Nothing else about the resident: no name, no birth date, no card number.
	noPersonalData(t, "payload", string(h.Store.Applications()[0].Payload))
}

func TestMaskCardNumber(t *testing.T) {
	for in, want := range map[string]string{"1234567(8)": "1•••••7(8)", "12345678": "1•••••78", "AB": "••", "": ""} {
		if got := kiosk.MaskCardNumber(in); got != want {
			t.Errorf("MaskCardNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
