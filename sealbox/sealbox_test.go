package sealbox

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	privPEM, pubPEM, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pubPath := filepath.Join(dir, "seal.pub")
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSealer(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("8517")
	ct, err := s.Seal(secret, "REF-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, secret) {
		t.Fatal("ciphertext holds the secret")
	}
	got, err := Open(priv, ct, "REF-1")
	if err != nil || string(got) != "8517" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for name, open := range map[string]func() ([]byte, error){
		"another application": func() ([]byte, error) { return Open(priv, ct, "REF-2") },
		"another key":         func() ([]byte, error) { return Open(other, ct, "REF-1") },
		"a changed byte": func() ([]byte, error) {
			bad := bytes.Clone(ct)
			bad[len(bad)-1] ^= 1
			return Open(priv, bad, "REF-1")
		},
	} {
		if _, err := open(); err == nil {
			t.Errorf("%s opens the sealed secret", name)
		}
	}
	// Two seals of one secret differ (fresh ephemeral key each time).
	ct2, _ := s.Seal(secret, "REF-1")
	if bytes.Equal(ct, ct2) {
		t.Error("sealing is deterministic")
	}
}

func TestLoadSealerRefusesOtherKeys(t *testing.T) {
	dir := t.TempDir()
	privPEM, _, _ := GenerateKeyPair()
	for name, content := range map[string][]byte{
		"private key": privPEM,
		"not PEM":     []byte("hello"),
		"empty":       nil,
	} {
		p := filepath.Join(dir, "k")
		os.WriteFile(p, content, 0o600)
		if _, err := LoadSealer(p); err == nil {
			t.Errorf("%s accepted as the back office's public key", name)
		}
	}
	if _, err := LoadSealer(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file accepted")
	}
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	if _, err := NewSealer(p256.PublicKey()); err == nil {
		t.Error("a P-256 key accepted")
	}
}
