// Package seed gives each demo card of the emulator a coherent back-office record:
// the card profiles (cardio/emulator/profiles, cardio/emulator/testdata) hold the
// card numbers, a table here says what the back office knows of each one, and the
// kiosk's subject key turns each card number into the subject the kiosk will ask for.
package seed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/kiosk"
)

// DefaultProfiles are the emulator's card profiles, relative to the repository root.
var DefaultProfiles = []string{"cardio/emulator/profiles/*.yaml", "cardio/emulator/testdata/*.yaml"}

// Profile is the part of an emulator card profile the seed needs.
type Profile struct {
	File           string `yaml:"-"`
	DocumentNumber string `yaml:"document_number"`
	BirthDate      string `yaml:"birth_date"`
	Nationality    string `yaml:"nationality"`
	// Residency is what the card states (DG12); the scenario of its card number must
	// say the same, or the kiosk would read one status and the back office hold
	// another (TestBuild checks every shipped profile).
	Residency string `yaml:"residency"`
	// StaffID marks a DSI staff card: not a resident's, so it gets no record.
	StaffID string `yaml:"staff_id"`
	// What DSI's identification record holds besides: the eID start answers it, and
	// the card's photo as the reference photo, in place of a card the kiosk reads.
	Names struct {
		Chinese    string `yaml:"chinese"`
		Portuguese string `yaml:"portuguese"`
		Surname    string `yaml:"surname"`
		GivenNames string `yaml:"given_names"`
	} `yaml:"names"`
	Sex        string `yaml:"sex"`
	IssueDate  string `yaml:"issue_date"`
	ExpiryDate string `yaml:"expiry_date"`
	Photo      string `yaml:"photo"` // relative to the profile
	PhotoData  []byte `yaml:"-"`
}

// LoadProfiles reads every profile matching the globs, sorted by file name.
func LoadProfiles(globs []string) ([]Profile, error) {
	var files []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("profiles %q: %w", g, err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no card profile matches %v (run from the repository root or pass --profiles)", globs)
	}
	sort.Strings(files)
	var out []Profile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var p Profile
		if err := yaml.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if p.DocumentNumber == "" {
			return nil, fmt.Errorf("%s: no document_number", f)
		}
		if p.StaffID != "" {
			continue // a staff card opens staff mode, never a resident's session
		}
		p.File = filepath.Base(f)
		if p.Photo != "" {
			photo, err := os.ReadFile(filepath.Join(filepath.Dir(f), p.Photo))
			if err != nil {
				return nil, fmt.Errorf("%s: photo: %w", f, err)
			}
			if len(photo) > backoffice.MaxReferencePhoto {
				return nil, fmt.Errorf("%s: photo of %d bytes, the contract allows %d", f, len(photo), backoffice.MaxReferencePhoto)
			}
			p.PhotoData = photo
		}
		out = append(out, p)
	}
	return out, nil
}

// subjectKeyLen is the kiosk's subject key size (store.SubjectKey).
const subjectKeyLen = 32

// Hasher computes the kiosk's subject of a card number. It must equal
// store.SubjectKey.Hash (a test checks it): HMAC-SHA-256 with the key, first 128 bits
// in hex.
type Hasher struct{ key []byte }

// LoadHasher reads the kiosk's subject key file. Unlike the kiosk, it never creates
// one: a new key here would match no kiosk.
func LoadHasher(path string) (*Hasher, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kiosk subject key: %w (pass the key file the kiosk uses; it makes one on first start)", err)
	}
	if len(b) != subjectKeyLen {
		return nil, fmt.Errorf("kiosk subject key %s: want %d bytes, file has %d", path, subjectKeyLen, len(b))
	}
	return &Hasher{key: b}, nil
}

// Hash is the subject of a card number.
func (h *Hasher) Hash(cardNumber string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(cardNumber))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// Scenario is what the back office knows of one demo card. Month offsets are from
// the day of seeding, so the demo stays coherent whenever it is run.
type Scenario struct {
	Label          string
	Residency      backoffice.Residency
	PassportIn     *int // months until the passport expires (negative: expired); nil: none
	PermitIn       *int // the same for the travel permit
	MyPhoto        bool
	CounterOnly    bool   // something only staff can handle
	Account        string // backoffice.AccountNone or AccountActive
	DeviceBound    bool
	PasswordLock   time.Duration // service password locked for this long from seeding
	Pending        []kiosk.ServiceID
	PendingDaysAgo int
}

func months(n int) *int { return &n }

// Scenarios by card number. 12345678 is shared by the demo, adult and pace profiles.
var Scenarios = map[string]Scenario{
	"12345678": {Label: "permanent, passport expires in 4 months, My Photo on file", Residency: backoffice.Permanent,
		PassportIn: months(4), MyPhoto: true, Account: backoffice.AccountNone},
	"17654321": {Label: "minor, passport not due", Residency: backoffice.Permanent,
		PassportIn: months(30), Account: backoffice.AccountNone},
	"18642097": {Label: "non-permanent, travel permit expires in 3 months", Residency: backoffice.NonPermanent,
		PermitIn: months(3), Account: backoffice.AccountNone},
	// The demo's travel-permit card (profiles/travel-permit.yaml): the same rules as
	// 18642097, on a card whose PIN works and whose signer is valid. The demo's cards
	// have a My Photo on file: the demo's recorded camera shows the portrait on its
	// original flag backdrop, which the new-photo step's checks rightly refuse.
	"15263748": {Label: "non-permanent, travel permit expires in 5 months, My Photo on file", Residency: backoffice.NonPermanent,
		PermitIn: months(5), MyPhoto: true, Account: backoffice.AccountNone},
	// The demo's renewal card (profiles/renewal.yaml): the card itself is due; the
	// passport is not.
	"16273849": {Label: "permanent, ID card due for renewal, passport not due, My Photo on file", Residency: backoffice.Permanent,
		PassportIn: months(30), MyPhoto: true, Account: backoffice.AccountNone},
	"10293847": {Label: "non-permanent, travel permit expired 2 months ago, counter only", Residency: backoffice.NonPermanent,
		PermitIn: months(-2), Account: backoffice.AccountNone, CounterOnly: true},
	"13579246": {Label: "pending ID renewal", Residency: backoffice.Permanent,
		PassportIn: months(50), Account: backoffice.AccountNone, Pending: []kiosk.ServiceID{kiosk.ServiceIDRenewal}, PendingDaysAgo: 10},
	"51234567": {Label: "One Account with eID bound", Residency: backoffice.Permanent,
		MyPhoto: true, Account: backoffice.AccountActive, DeviceBound: true},
	"11223344": {Label: "One Account, eID not bound", Residency: backoffice.Permanent,
		Account: backoffice.AccountActive},
	"19283746": {Label: "One Account, service password locked", Residency: backoffice.Permanent,
		PassportIn: months(-12), Account: backoffice.AccountActive, PasswordLock: 60 * time.Minute},
	"52468013": {Label: "eID bound, passport expires in 5 months (eID start: the recordings' face)", Residency: backoffice.Permanent,
		PassportIn: months(5), Account: backoffice.AccountActive, DeviceBound: true},
}

// DefaultScenario is for a card number the table does not know.
var DefaultScenario = Scenario{Label: "permanent, no travel document", Residency: backoffice.Permanent, Account: backoffice.AccountNone}

// Resident is one record to seed.
type Resident struct {
	Subject             string
	Label               string // profile file(s) and scenario, for listings
	Residency           backoffice.Residency
	Nationality         string
	PassportExpiry      string // YYYY-MM-DD or ""
	PermitExpiry        string
	MyPhoto             bool
	OtherTravel         bool // not a Chinese national: holds a foreign passport
	CounterOnly         bool
	Account             string
	DeviceBound         bool
	PasswordLockedUntil time.Time
	Pending             []kiosk.ServiceID
	PendingOn           string
	// Holder and Photo are the identification record (from the card profile): what
	// an eID login answers. PhotoFormat is "jpeg" or "jp2"; no photo, no eID login.
	Holder      backoffice.EIDHolder
	Photo       []byte
	PhotoFormat string
}

// Build turns profiles into records as of now (dates in Macau time). Profiles with the
// same card number give one record.
func Build(profiles []Profile, h *Hasher, now time.Time) []Resident {
	today := kiosk.DateOf(now.In(kiosk.MacauTime))
	byDoc := map[string]*Resident{}
	var order []string
	for _, p := range profiles {
		if r, ok := byDoc[p.DocumentNumber]; ok {
			r.Label = p.File + "+" + r.Label
			continue
		}
		sc, ok := Scenarios[p.DocumentNumber]
		if !ok {
			sc = DefaultScenario
		}
		r := &Resident{
			Subject: h.Hash(p.DocumentNumber), Label: p.File + ": " + sc.Label, Residency: sc.Residency,
			Nationality: p.Nationality, MyPhoto: sc.MyPhoto, Account: sc.Account, DeviceBound: sc.DeviceBound,
			Pending: sc.Pending,
		}
		if r.Nationality == "" {
			r.Nationality = "CHN"
		}
		// A foreign national travels on that country's passport.
		r.OtherTravel = r.Nationality != "CHN"
		r.CounterOnly = sc.CounterOnly
		r.Holder = backoffice.EIDHolder{
			Names: backoffice.EIDNames{Chinese: p.Names.Chinese, Portuguese: p.Names.Portuguese,
				Primary: p.Names.Surname, Secondary: p.Names.GivenNames},
			Sex: p.Sex, BirthDate: p.BirthDate, Residency: sc.Residency, Nationality: r.Nationality,
			CardIssue: p.IssueDate, CardExpiry: p.ExpiryDate,
		}
		if len(p.PhotoData) > 0 {
			r.Photo, r.PhotoFormat = p.PhotoData, "jpeg"
			if strings.EqualFold(filepath.Ext(p.Photo), ".jp2") {
				r.PhotoFormat = "jp2"
			}
		}
		if sc.PassportIn != nil {
			r.PassportExpiry = today.AddMonths(*sc.PassportIn).String()
		}
		if sc.PermitIn != nil {
			r.PermitExpiry = today.AddMonths(*sc.PermitIn).String()
		}
		if sc.PasswordLock > 0 {
			r.PasswordLockedUntil = now.Add(sc.PasswordLock)
		}
		if len(sc.Pending) > 0 {
			r.PendingOn = kiosk.DateOf(now.In(kiosk.MacauTime).AddDate(0, 0, -sc.PendingDaysAgo)).String()
		}
		byDoc[p.DocumentNumber] = r
		order = append(order, p.DocumentNumber)
	}
	out := make([]Resident, 0, len(order))
	for _, d := range order {
		out = append(out, *byDoc[d])
	}
	return out
}
