package office

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// QR payloads the back office signs: "DSI1.<kind>.<claims>.<signature>", claims and
// signature base64url without padding, the Ed25519 signature over everything before
// the last dot. Kind B is an eID binding (shown by the kiosk, scanned by the One
// Account app), kind L an eID login code (shown by the app to the kiosk's camera).
const (
	qrVersion    = "DSI1"
	qrKindBind   = "B"
	qrKindLogin  = "L"
	SigningKey   = "qr-signing.key"
	maxQRPayload = 1024
)

var b64 = base64.RawURLEncoding

// ErrQRInvalid is a payload that is malformed, of the wrong kind or badly signed.
var ErrQRInvalid = errors.New("QR payload is not a valid back-office code")

type bindClaims struct {
	BindingID string `json:"bid"`
	Exp       int64  `json:"exp"`
}

type loginClaims struct {
	AccountID string `json:"acc"`
	Nonce     string `json:"n"`
	Exp       int64  `json:"exp"`
}

func signQR(key ed25519.PrivateKey, kind string, claims any) (string, error) {
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	msg := qrVersion + "." + kind + "." + b64.EncodeToString(b)
	return msg + "." + b64.EncodeToString(ed25519.Sign(key, []byte(msg))), nil
}

func verifyQR(pub ed25519.PublicKey, kind, payload string, out any) error {
	if len(payload) > maxQRPayload {
		return ErrQRInvalid
	}
	i := strings.LastIndexByte(payload, '.')
	if i < 0 {
		return ErrQRInvalid
	}
	msg, sigText := payload[:i], payload[i+1:]
	parts := strings.Split(msg, ".")
	if len(parts) != 3 || parts[0] != qrVersion || parts[1] != kind {
		return ErrQRInvalid
	}
	sig, err := b64.DecodeString(sigText)
	if err != nil || !ed25519.Verify(pub, []byte(msg), sig) {
		return ErrQRInvalid
	}
	claims, err := b64.DecodeString(parts[2])
	if err != nil {
		return ErrQRInvalid
	}
	dec := json.NewDecoder(strings.NewReader(string(claims)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return ErrQRInvalid
	}
	return nil
}

// LoadOrCreateSigningKey reads dir/qr-signing.key (PKCS#8 PEM, Ed25519), making it
// with mode 0600 on first use.
func LoadOrCreateSigningKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, SigningKey)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateSigningKey(dir)
		}
		if err != nil {
			return nil, err
		}
		if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			f.Close()
			os.Remove(path)
			return nil, err
		}
		return key, f.Close()
	}
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: not PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return key, nil
}

// WriteQRPNG writes payload as a QR code PNG (error correction M, 8 pixels a module,
// the 4-module quiet zone the standard asks for) at path, mode 0600: an eID code is
// a bearer credential for its minute.
func WriteQRPNG(path, payload string) error {
	code, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		return err
	}
	const module, quiet = 8, 4
	n := code.Bounds().Dx()
	img := image.NewGray(image.Rect(0, 0, (n+2*quiet)*module, (n+2*quiet)*module))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if c, _, _, _ := code.At(x, y).RGBA(); c == 0 {
				for dy := 0; dy < module; dy++ {
					for dx := 0; dx < module; dx++ {
						img.SetGray((x+quiet)*module+dx, (y+quiet)*module+dy, color.Gray{})
					}
				}
			}
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
