package lds

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// TrustStore holds the CSCA certificates passive authentication chains to, and the
// CSCAs' certificate revocation lists.
type TrustStore struct {
	CSCAs []*x509.Certificate
	// CRLs were each verified against a CSCA of the store when loaded.
	CRLs []*x509.RevocationList
}

// ErrEmptyTrustStore is returned when the trust store folder has no certificate.
var ErrEmptyTrustStore = errors.New("trust store holds no CSCA certificate")

// LoadTrustStore reads every certificate (.pem .crt .cer .der: PEM, possibly several
// per file, or DER) and every CRL (.crl, PEM or DER) in dir. A file that does not
// parse, or a CRL that no CSCA of the store signed, is an error, so a broken store
// is noticed at start.
func LoadTrustStore(dir string) (*TrustStore, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("trust store: %w", err)
	}
	ts := &TrustStore{}
	crls := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		switch filepath.Ext(e.Name()) {
		case ".pem", ".crt", ".cer", ".der":
		case ".crl":
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("trust store: %w", err)
			}
			crls[e.Name()] = b
			continue
		default:
			continue // README and the like
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("trust store: %w", err)
		}
		certs, err := parseCerts(b)
		if err != nil {
			return nil, fmt.Errorf("trust store: %s: %w", e.Name(), err)
		}
		ts.CSCAs = append(ts.CSCAs, certs...)
	}
	if len(ts.CSCAs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrEmptyTrustStore, dir)
	}
	names := make([]string, 0, len(crls))
	for n := range crls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rl, err := ts.parseCRL(crls[n])
		if err != nil {
			return nil, fmt.Errorf("trust store: %s: %w", n, err)
		}
		ts.CRLs = append(ts.CRLs, rl)
	}
	return ts, nil
}

// parseCRL reads a CRL (PEM "X509 CRL" or DER) and checks that a CSCA of the store
// with its issuer's name signed it.
func (ts *TrustStore) parseCRL(b []byte) (*x509.RevocationList, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "X509 CRL" {
			return nil, fmt.Errorf("PEM block %q, want X509 CRL", blk.Type)
		}
		b = blk.Bytes
	}
	rl, err := x509.ParseRevocationList(b)
	if err != nil {
		return nil, err
	}
	var lastErr error = errors.New("no CSCA of the trust store issued it")
	for _, ca := range ts.CSCAs {
		if !sameName(ca.RawSubject, rl.RawIssuer) {
			continue
		}
		if lastErr = checkCRLSignature(rl, ca); lastErr == nil {
			return rl, nil
		}
	}
	return nil, fmt.Errorf("CRL signature: %w", lastErr)
}

// revoked reports whether a CRL of the store issued under cert's issuer name lists
// cert's serial number.
func (ts *TrustStore) revoked(cert *x509.Certificate) *x509.RevocationList {
	for _, rl := range ts.CRLs {
		if !sameName(rl.RawIssuer, cert.RawIssuer) {
			continue
		}
		for _, e := range rl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return rl
			}
		}
	}
	return nil
}

func parseCerts(b []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		c, err := parseCertificate(b)
		if err != nil {
			return nil, err
		}
		return []*x509.Certificate{c}, nil
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := parseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no CERTIFICATE block")
	}
	return out, nil
}

// Check names of passive authentication, in order.
const (
	CheckSOD          = "sod_parsed"
	CheckSignature    = "ds_signature"
	CheckChain        = "csca_chain"
	CheckDSValidity   = "ds_validity"
	CheckCSCAValidity = "csca_validity"
)

// HashCheckName is the check name for data group n's hash.
func HashCheckName(n int) string { return "dg" + strconv.Itoa(n) + "_hash" }

// Reasons of a failed sod_parsed step when there is no security object at all.
var (
	ErrSODNotFound = errors.New("EF.SOD not found")
	ErrSODEmpty    = errors.New("EF.SOD empty")
)

// PassiveAuth verifies EF.SOD and the data groups read against it (Doc 9303 Part 11
// §5.1): the document signer's signature, its chain to a CSCA of the trust store
// (both of the issuing state in DG1, dgs[1]), both certificates' validity at now,
// and the hash of every data group in dgs. It
// returns every step as a check and whether all passed. The data is never withheld:
// the caller shows it marked as unverified when ok is false. sod is nil when the card
// has no EF.SOD (6A82) and empty, not nil, when the file holds no byte (ErrFileEmpty).
func PassiveAuth(sod []byte, dgs map[int][]byte, ts *TrustStore, now time.Time) (checks []kiosk.Check, ok bool) {
	nums := make([]int, 0, len(dgs))
	for n := range dgs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	add := func(name string, err error) {
		c := kiosk.Check{Name: name, OK: err == nil}
		if err != nil {
			c.Detail = err.Error()
		}
		checks = append(checks, c)
	}
	var s *SOD
	var err error
	switch {
	case sod == nil:
		err = ErrSODNotFound
	case len(sod) == 0:
		err = ErrSODEmpty
	default:
		s, err = ParseSOD(sod)
	}
	add(CheckSOD, err)
	if err != nil {
		skipped := errors.New("not checked: EF.SOD could not be parsed")
		if sod == nil || len(sod) == 0 {
			skipped = fmt.Errorf("not checked: %w", err)
		}
		for _, n := range []string{CheckSignature, CheckChain, CheckDSValidity, CheckCSCAValidity} {
			add(n, skipped)
		}
		for _, n := range nums {
			add(HashCheckName(n), skipped)
		}
		return checks, false
	}
	add(CheckSignature, s.VerifySignature())
	csca, err := ts.issuerOf(s.Signer)
	if err == nil {
		err = checkSignerCountry(s.Signer, csca, dgs[1])
	}
	add(CheckChain, err)
	add(CheckDSValidity, validAt("document signer", s.Signer, now))
	if csca != nil {
		add(CheckCSCAValidity, validAt("CSCA", csca, now))
	} else {
		add(CheckCSCAValidity, errors.New("not checked: no CSCA found"))
	}
	for _, n := range nums {
		add(HashCheckName(n), s.CheckDG(n, dgs[n]))
	}
	ok = true
	for _, c := range checks {
		ok = ok && c.OK
	}
	return checks, ok
}

// CheckDG compares data group n's content with its hash in EF.SOD.
func (s *SOD) CheckDG(n int, content []byte) error {
	want, listed := s.Hashes[n]
	if !listed {
		return fmt.Errorf("DG%d is not listed in EF.SOD", n)
	}
	h := s.HashAlg.New()
	h.Write(content)
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("DG%d hash does not match EF.SOD", n)
	}
	return nil
}

// issuerOf finds the CSCA that signed cert.
func (ts *TrustStore) issuerOf(cert *x509.Certificate) (*x509.Certificate, error) {
	if ts == nil || len(ts.CSCAs) == 0 {
		return nil, ErrEmptyTrustStore
	}
	var lastErr error
	for _, ca := range ts.CSCAs {
		if !sameName(ca.RawSubject, cert.RawIssuer) {
			continue
		}
		if len(cert.AuthorityKeyId) > 0 && len(ca.SubjectKeyId) > 0 && !bytes.Equal(cert.AuthorityKeyId, ca.SubjectKeyId) {
			continue // same name, other key (CSCA key rollover)
		}
		if err := checkCertSignature(cert, ca); err != nil {
			lastErr = err
			continue
		}
		if rl := ts.revoked(cert); rl != nil {
			return ca, fmt.Errorf("document signer certificate revoked (CSCA CRL of %s)", rl.ThisUpdate.UTC().Format(time.DateOnly))
		}
		return ca, nil
	}
	if lastErr != nil {
		return nil, fmt.Errorf("document signer certificate signature: %w", lastErr)
	}
	return nil, errors.New("no CSCA in the trust store issued the document signer")
}

func validAt(what string, c *x509.Certificate, now time.Time) error {
	switch {
	case now.Before(c.NotBefore):
		return fmt.Errorf("%s certificate not valid before %s", what, c.NotBefore.UTC().Format(time.DateOnly))
	case now.After(c.NotAfter):
		return fmt.Errorf("%s certificate expired on %s", what, c.NotAfter.UTC().Format(time.DateOnly))
	}
	return nil
}
