package facematch

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gocv.io/x/gocv"
)

// LiveDegradation is what a kiosk camera does to the live face in bad conditions,
// applied in this order: a side-light gradient, exposure, gamma, horizontal motion
// blur, sensor noise.
type LiveDegradation struct {
	// SideLight s multiplies the picture by a horizontal ramp from 1+s (left) to 1−s
	// (right), floored at 0.05: a lamp to one side.
	SideLight float64 `json:"side_light,omitempty"`
	// Exposure multiplies every value (0.35: a dim room); 0 means 1.
	Exposure float64 `json:"exposure,omitempty"`
	// Gamma maps v to 255·(v/255)^Gamma after exposure (above 1 darkens the mid-tones
	// as a cheap sensor's curve does); 0 means 1.
	Gamma float64 `json:"gamma,omitempty"`
	// Blur is the length in pixels of a horizontal motion blur (0: none).
	Blur int `json:"blur_px,omitempty"`
	// Noise is the σ of Gaussian sensor noise in grey levels, seeded per image.
	Noise float64 `json:"noise_sigma,omitempty"`
}

// Apply returns a degraded copy of an 8-bit BGR image; seed makes the noise
// reproducible.
func (l LiveDegradation) Apply(img gocv.Mat, seed uint64) gocv.Mat {
	f := gocv.NewMat()
	img.ConvertTo(&f, gocv.MatTypeCV32FC3)
	w, h := img.Cols(), img.Rows()
	exp := l.Exposure
	if exp == 0 {
		exp = 1
	}
	gamma := l.Gamma
	if gamma == 0 {
		gamma = 1
	}
	v, _ := f.DataPtrFloat32()
	rng := rand.New(rand.NewPCG(seed, 14))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gain := exp
			if l.SideLight != 0 {
				gain *= math.Max(0.05, 1+l.SideLight*(1-2*float64(x)/float64(max(1, w-1))))
			}
			for c := 0; c < 3; c++ {
				i := (y*w+x)*3 + c
				u := math.Min(255, float64(v[i])*gain)
				if gamma != 1 {
					u = 255 * math.Pow(u/255, gamma)
				}
				v[i] = float32(u)
			}
		}
	}
	if l.Blur > 1 {
		k := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(1/float64(l.Blur), 0, 0, 0), 1, l.Blur, gocv.MatTypeCV32F)
		gocv.Filter2D(f, &f, -1, k, image.Pt(-1, -1), 0, gocv.BorderReplicate)
		k.Close()
	}
	if l.Noise > 0 {
		for i := range v {
			v[i] += float32(rng.NormFloat64() * l.Noise)
		}
	}
	out := gocv.NewMat()
	f.ConvertTo(&out, gocv.MatTypeCV8UC3) // saturating
	f.Close()
	return out
}

// evaluateLive scores every ordered pair with the first image degraded as the live
// face and the second as a card photo (CardLike[0]).
func (e *Engine) evaluateLive(set []EvalImage, d Degradation, _ []*Template) (EvalResult, error) {
	live := make([]*Template, len(set))
	card := make([]*Template, len(set))
	defer zeroAll(live)
	defer zeroAll(card)
	var noFace []string
	for i, im := range set {
		data, err := os.ReadFile(im.Path)
		if err != nil {
			return EvalResult{}, fmt.Errorf("reading %s: %w", im.Path, err)
		}
		m, _, err := DecodeImage(data)
		if err != nil {
			return EvalResult{}, fmt.Errorf("%s: %w", im.Path, err)
		}
		lm := d.Live.Apply(m, uint64(i)+1)
		t, _, err := e.TemplateFromPhoto(lm)
		lm.Close()
		switch {
		case err == ErrNoFace:
			noFace = append(noFace, filepath.Base(im.Path)+" (live)")
		case err != nil:
			m.Close()
			return EvalResult{}, fmt.Errorf("%s (%s): %w", im.Path, d.Name, err)
		default:
			live[i] = t
		}
		cm, err := e.CardLike(m, CardLike[0])
		m.Close()
		if err == nil {
			card[i], _, err = e.TemplateFromPhoto(cm)
			cm.Close()
		}
		switch {
		case err == ErrNoFace:
			noFace = append(noFace, filepath.Base(im.Path)+" (card)")
		case err != nil:
			return EvalResult{}, fmt.Errorf("%s (card): %w", im.Path, err)
		}
	}
	var gen, imp []float64
	for i := range set {
		for j := range set {
			if i == j || live[i] == nil || card[j] == nil {
				continue
			}
			s := live[i].Cosine(card[j])
			if set[i].Person == set[j].Person {
				gen = append(gen, s)
			} else {
				imp = append(imp, s)
			}
		}
	}
	return summarise(d, gen, imp, noFace, e.opts.MatchThreshold), nil
}
