package facematch

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// PhotoFace is what was found in a still photo.
type PhotoFace struct {
	Info  ImageInfo
	Face  Face
	Faces int // faces the detector found
}

// TemplateFromImage validates and decodes an encoded photo (JPEG, PNG or JPEG 2000;
// colour or grey; a card photo may be a few dozen pixels wide) and returns the
// template of its largest face.
func (e *Engine) TemplateFromImage(data []byte) (*Template, PhotoFace, error) {
	m, info, err := DecodeImage(data)
	if err != nil {
		return nil, PhotoFace{Info: info}, err
	}
	defer m.Close()
	t, pf, err := e.TemplateFromPhoto(m)
	pf.Info = info
	return t, pf, err
}

// TemplateFromPhoto returns the template of the largest face in a decoded BGR photo.
// Photos are padded to the detector's 4:3 aspect with a margin first: the detector
// stretches its input to 320×240, and a portrait card photo whose face touches the
// edges would otherwise be squashed and cut.
func (e *Engine) TemplateFromPhoto(photo gocv.Mat) (*Template, PhotoFace, error) {
	var pf PhotoFace
	// A card photo may be smaller than a camera frame may be: check it against the
	// photo limits, then the padded copy against the frame limits.
	if photo.Ptr() == nil || photo.Empty() || photo.Type() != gocv.MatTypeCV8UC3 {
		return nil, pf, fmt.Errorf("%w: photo must be non-empty 8-bit BGR", ErrBadFrame)
	}
	if w, h := photo.Cols(), photo.Rows(); w < MinImageSide || h < MinImageSide || w > MaxImageSide || h > MaxImageSide {
		return nil, pf, fmt.Errorf("%w: photo %dx%d", ErrBadFrame, w, h)
	}
	if photo.Cols() < smallPhotoWidth {
		// A chip photo a few dozen pixels wide: bicubic ×2 first. Measured on the eval's
		// 60 px grey q25 cards (docs/face-eval.md): as is, 1 face of 37 missed and the
		// lowest genuine score 0.374; bilinear ×2 the same miss, 0.389; Lanczos ×2 one
		// miss, 0.372; bicubic ×2 no miss, 0.389.
		up := gocv.NewMat()
		defer up.Close()
		gocv.Resize(photo, &up, image.Pt(photo.Cols()*2, photo.Rows()*2), 0, 0, gocv.InterpolationCubic)
		photo = up
	}
	t, pf, err := e.templateFromPhoto(photo)
	if err != ErrNoFace {
		return t, pf, err
	}
	// No face: a dim or unevenly lit picture is tried again with its light normalised.
	if mean, std := lightStats(photo, image.Rectangle{}); needsLight(mean, std) {
		n := normaliseLight(photo, image.Rectangle{})
		defer n.Close()
		return e.templateFromPhoto(n)
	}
	return t, pf, err
}

func (e *Engine) templateFromPhoto(photo gocv.Mat) (*Template, PhotoFace, error) {
	var pf PhotoFace
	padded := padForDetection(photo)
	defer padded.Close()
	if err := ValidateFrame(padded); err != nil {
		return nil, pf, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	faces, err := e.detect(padded, e.opts.DetectConfidence)
	if err != nil {
		return nil, pf, fmt.Errorf("detecting faces: %w", err)
	}
	pf.Faces = len(faces)
	if len(faces) == 0 {
		// A card photo holds exactly one face, but small, grey and compressed it can
		// score under the live threshold; take the best box above a lower floor. A
		// wrong box only makes a template that matches no one.
		if faces, err = e.detect(padded, photoMinConfidence); err != nil {
			return nil, pf, fmt.Errorf("detecting faces: %w", err)
		}
		if len(faces) == 0 {
			return nil, pf, ErrNoFace
		}
		faces = faces[:1] // detect sorts by score
		pf.Faces = 1
	}
	main := faces[0]
	for _, f := range faces[1:] {
		if f.Raw.Area() > main.Raw.Area() {
			main = f
		}
	}
	pf.Face = main
	lm, err := e.landmarks(padded, main)
	if err != nil {
		return nil, pf, fmt.Errorf("landmarks: %w", err)
	}
	t, err := e.embed(padded, &lm)
	if err != nil {
		return nil, pf, fmt.Errorf("embedding: %w", err)
	}
	return t, pf, nil
}

// TemplateFromObservation embeds the main face of an analysed live frame, reusing
// its landmarks.
func (e *Engine) TemplateFromObservation(frame gocv.Mat, o *Observation) (*Template, error) {
	if o == nil {
		return nil, ErrNoFace
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.embed(frame, &o.Landmarks)
}

// smallPhotoWidth: photos narrower than this are upsampled before detection.
const smallPhotoWidth = 120

// photoMinConfidence is the detector floor for still photos that have no face above
// the live threshold.
const photoMinConfidence = 0.3

// padForDetection returns a copy of m with a grey border: at least 15% on each side
// and enough to make it 4:3.
func padForDetection(m gocv.Mat) gocv.Mat {
	w, h := float64(m.Cols()), float64(m.Rows())
	W, H := w*1.3, h*1.3
	W = math.Max(W, H*4/3)
	H = math.Max(H, W*3/4)
	left := int((W - w) / 2)
	top := int((H - h) / 2)
	out := gocv.NewMat()
	gocv.CopyMakeBorder(m, &out, top, int(H-h)-top, left, int(W-w)-left, gocv.BorderConstant, color.RGBA{127, 127, 127, 0})
	return out
}

// Compare returns the cosine similarity of the faces in two encoded photos.
func (e *Engine) Compare(a, b []byte) (float64, error) {
	ta, _, err := e.TemplateFromImage(a)
	if err != nil {
		return 0, fmt.Errorf("first image: %w", err)
	}
	defer ta.Zero()
	tb, _, err := e.TemplateFromImage(b)
	if err != nil {
		return 0, fmt.Errorf("second image: %w", err)
	}
	defer tb.Zero()
	return ta.Cosine(tb), nil
}
