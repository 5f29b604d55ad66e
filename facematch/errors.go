package facematch

import (
	"errors"
	"fmt"
)

// Sentinel errors. Typed errors below unwrap to them so callers can use errors.Is.
var (
	ErrModelMissing  = errors.New("face model missing")
	ErrModelChecksum = errors.New("face model checksum mismatch")
	ErrModelInvalid  = errors.New("face model unusable")

	ErrImageEmpty    = errors.New("image is empty")
	ErrImageFormat   = errors.New("image format not supported")
	ErrImageCorrupt  = errors.New("image is corrupt")
	ErrImageTooLarge = errors.New("image is too large")
	ErrImageTooSmall = errors.New("image is too small")

	ErrNoFace    = errors.New("no face found")
	ErrManyFaces = errors.New("more than one face")
	ErrClosed    = errors.New("face engine closed")
)

// ModelError says which model is unusable and how to fix it.
type ModelError struct {
	Model  string // file name, e.g. fr_detect.onnx
	Path   string
	Detail string
	Err    error // one of the ErrModel* sentinels
}

func (e *ModelError) Error() string {
	return fmt.Sprintf("face model %s: %v: %s (fix: run `make models` or packaging/fetch-models.sh %s)", e.Model, e.Err, e.Detail, dirOf(e.Path))
}

func (e *ModelError) Unwrap() error { return e.Err }

// ImageError says why an encoded image was refused before OpenCV saw it.
type ImageError struct {
	Detail string
	Err    error // one of the ErrImage* sentinels
}

func (e *ImageError) Error() string { return fmt.Sprintf("%v: %s", e.Err, e.Detail) }
func (e *ImageError) Unwrap() error { return e.Err }

func imageErr(sentinel error, format string, args ...any) error {
	return &ImageError{Detail: fmt.Sprintf(format, args...), Err: sentinel}
}
