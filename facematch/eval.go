package facematch

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gocv.io/x/gocv"
)

// EvalImage is one labelled image: Person is its folder name (or, for an image at the
// top of the set, its file name: a person with one photo still makes impostor pairs).
type EvalImage struct {
	Person string
	Path   string
}

// LoadLabelledSet lists the images of a labelled folder: one subfolder per person.
func LoadLabelledSet(dir string) ([]EvalImage, error) {
	var out []EvalImage
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading labelled set: %w", err)
	}
	isImage := func(name string) bool {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".jpg", ".jpeg", ".png", ".jp2", ".j2k":
			return true
		}
		return false
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			sub, err := os.ReadDir(p)
			if err != nil {
				return nil, fmt.Errorf("reading labelled set: %w", err)
			}
			for _, s := range sub {
				if !s.IsDir() && isImage(s.Name()) {
					out = append(out, EvalImage{Person: e.Name(), Path: filepath.Join(p, s.Name())})
				}
			}
		case isImage(e.Name()):
			out = append(out, EvalImage{Person: strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), Path: p})
		}
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("labelled set %s has %d images, need at least 2", dir, len(out))
	}
	return out, nil
}

// Degradation turns a probe into a card-like photo: Width pixels wide, grey, JPEG at
// Quality. The zero value means "as is".
type Degradation struct {
	Name    string `json:"name"`
	Width   int    `json:"width,omitempty"`
	Grey    bool   `json:"grey,omitempty"`
	Quality int    `json:"jpeg_quality,omitempty"`
	// Live, when set, degrades the live side instead (see LiveDegradation), and the
	// card side is CardLike[0].
	Live *LiveDegradation `json:"live,omitempty"`
}

// CardLike are the degradations the evaluation reports besides the clean images.
var CardLike = []Degradation{
	{Name: "card 100px grey q30", Width: 100, Grey: true, Quality: 30},
	{Name: "card 60px grey q25", Width: 60, Grey: true, Quality: 25},
	{Name: "live dim ×0.35 γ1.5", Live: &LiveDegradation{Exposure: 0.35, Gamma: 1.5}},
	{Name: "live noise σ6, blur 7px", Live: &LiveDegradation{Noise: 6, Blur: 7}},
	{Name: "live dim ×0.35 γ1.5, noise σ6, blur 7px", Live: &LiveDegradation{Exposure: 0.35, Gamma: 1.5, Noise: 6, Blur: 7}},
	{Name: "live side light 0.8", Live: &LiveDegradation{SideLight: 0.8}},
	{Name: "live side light 0.95, noise σ4", Live: &LiveDegradation{SideLight: 0.95, Noise: 4}},
}

// CardLike returns img as a card photo would show it: when the face fills less than
// 40% of the width (a scene rather than a portrait), it is first cropped to a
// head-and-shoulders portrait (face 60% of the width, 3:4, borders grey where the
// scene ends); then d is applied. Portraits are degraded as they are.
func (e *Engine) CardLike(img gocv.Mat, d Degradation) (gocv.Mat, error) {
	t, pf, err := e.TemplateFromPhoto(img)
	if err != nil {
		return gocv.Mat{}, err
	}
	t.Zero()
	// pf.Face is in the coordinates of the padded photo, so crop from that.
	padded := padForDetection(img)
	defer padded.Close()
	b := pf.Face.Raw
	fw := b.W()
	if fw >= 0.4*float64(img.Cols()) {
		return d.Apply(img)
	}
	cw := fw / 0.6
	ch := cw * 4 / 3
	cx, cy := b.Centre()
	x1 := int(math.Round(cx - cw/2))
	y1 := int(math.Round(cy - 0.45*ch))
	r := image.Rect(x1, y1, x1+int(cw), y1+int(ch))
	if !r.In(image.Rect(0, 0, padded.Cols(), padded.Rows())) {
		return d.Apply(img)
	}
	roi := padded.Region(r)
	defer roi.Close()
	return d.Apply(roi)
}

// Apply returns a degraded copy of img, re-encoded and decoded again so the JPEG
// artefacts are real.
func (d Degradation) Apply(img gocv.Mat) (gocv.Mat, error) {
	if d.Width == 0 && !d.Grey && d.Quality == 0 {
		return img.Clone(), nil
	}
	cur := img.Clone()
	if d.Width > 0 && d.Width < img.Cols() {
		h := max(1, int(math.Round(float64(img.Rows())*float64(d.Width)/float64(img.Cols()))))
		small := gocv.NewMat()
		gocv.Resize(cur, &small, image.Pt(d.Width, h), 0, 0, gocv.InterpolationArea)
		cur.Close()
		cur = small
	}
	if d.Grey {
		g := gocv.NewMat()
		gocv.CvtColor(cur, &g, gocv.ColorBGRToGray)
		cur.Close()
		cur = g
	}
	q := d.Quality
	if q == 0 {
		q = 95
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, cur, []int{gocv.IMWriteJpegQuality, q})
	cur.Close()
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("degrading: %w", err)
	}
	defer buf.Close()
	m, _, err := DecodeImage(buf.GetBytes())
	return m, err
}

// Rates are the error rates of one set of scores at one threshold.
type Rates struct {
	Threshold       float64 `json:"threshold"`
	FMR             float64 `json:"fmr"`  // impostor pairs scoring at or above the threshold
	FNMR            float64 `json:"fnmr"` // genuine pairs scoring below it
	FalseMatches    int     `json:"false_matches"`
	FalseNonMatches int     `json:"false_non_matches"`
}

// EvalResult is the evaluation of one condition.
type EvalResult struct {
	Condition    Degradation `json:"condition"`
	Genuine      int         `json:"genuine_pairs"`
	Impostor     int         `json:"impostor_pairs"`
	NoFace       []string    `json:"no_face,omitempty"` // images (base names) where no face was found
	AtThreshold  Rates       `json:"at_threshold"`
	EER          float64     `json:"eer"`
	EERThreshold float64     `json:"eer_threshold"`
	GenuineMin   float64     `json:"genuine_min"`
	GenuineMean  float64     `json:"genuine_mean"`
	ImpostorMax  float64     `json:"impostor_max"`
	ImpostorMean float64     `json:"impostor_mean"`
}

// EvalReport is the whole evaluation.
type EvalReport struct {
	Set        string       `json:"set"`
	Images     int          `json:"images"`
	People     int          `json:"people"`
	Threshold  float64      `json:"threshold"`
	Conditions []EvalResult `json:"conditions"`
}

// Evaluate scores every pair of the labelled set at the engine's threshold: clean
// pairs once each, and for each degradation every ordered pair with the second image
// degraded (it plays the card photo; the first plays the live face).
func (e *Engine) Evaluate(set []EvalImage, degradations []Degradation) (EvalReport, error) {
	rep := EvalReport{Images: len(set), Threshold: e.opts.MatchThreshold}
	people := map[string]bool{}
	for _, im := range set {
		people[im.Person] = true
	}
	rep.People = len(people)
	clean := make([]*Template, len(set))
	defer zeroAll(clean)
	var noFace []string
	for i, im := range set {
		data, err := os.ReadFile(im.Path)
		if err != nil {
			return rep, fmt.Errorf("reading %s: %w", im.Path, err)
		}
		t, _, err := e.TemplateFromImage(data)
		switch {
		case err == ErrNoFace:
			noFace = append(noFace, filepath.Base(im.Path))
		case err != nil:
			return rep, fmt.Errorf("%s: %w", im.Path, err)
		default:
			clean[i] = t
		}
	}
	var gen, imp []float64
	for i := range set {
		for j := i + 1; j < len(set); j++ {
			if clean[i] == nil || clean[j] == nil {
				continue
			}
			s := clean[i].Cosine(clean[j])
			if set[i].Person == set[j].Person {
				gen = append(gen, s)
			} else {
				imp = append(imp, s)
			}
		}
	}
	rep.Conditions = append(rep.Conditions, summarise(Degradation{Name: "clean"}, gen, imp, noFace, e.opts.MatchThreshold))
	for _, d := range degradations {
		if d.Live != nil {
			r, err := e.evaluateLive(set, d, clean)
			if err != nil {
				return rep, err
			}
			rep.Conditions = append(rep.Conditions, r)
			continue
		}
		deg := make([]*Template, len(set))
		var noFace []string
		for i, im := range set {
			data, err := os.ReadFile(im.Path)
			if err != nil {
				return rep, fmt.Errorf("reading %s: %w", im.Path, err)
			}
			m, _, err := DecodeImage(data)
			if err != nil {
				return rep, fmt.Errorf("%s: %w", im.Path, err)
			}
			dm, err := e.CardLike(m, d)
			m.Close()
			if err == ErrNoFace {
				noFace = append(noFace, filepath.Base(im.Path))
				continue
			}
			if err != nil {
				return rep, fmt.Errorf("%s: %w", im.Path, err)
			}
			t, _, err := e.TemplateFromPhoto(dm)
			dm.Close()
			switch {
			case err == ErrNoFace:
				noFace = append(noFace, filepath.Base(im.Path))
			case err != nil:
				return rep, fmt.Errorf("%s (%s): %w", im.Path, d.Name, err)
			default:
				deg[i] = t
			}
		}
		var gen, imp []float64
		for i := range set {
			for j := range set {
				if i == j || clean[i] == nil || deg[j] == nil {
					continue
				}
				s := clean[i].Cosine(deg[j])
				if set[i].Person == set[j].Person {
					gen = append(gen, s)
				} else {
					imp = append(imp, s)
				}
			}
		}
		zeroAll(deg)
		rep.Conditions = append(rep.Conditions, summarise(d, gen, imp, noFace, e.opts.MatchThreshold))
	}
	return rep, nil
}

func zeroAll(ts []*Template) {
	for _, t := range ts {
		t.Zero()
	}
}

// RatesAt computes FMR and FNMR at threshold t.
func RatesAt(gen, imp []float64, t float64) Rates {
	r := Rates{Threshold: t}
	for _, s := range gen {
		if s < t {
			r.FalseNonMatches++
		}
	}
	for _, s := range imp {
		if s >= t {
			r.FalseMatches++
		}
	}
	if len(gen) > 0 {
		r.FNMR = float64(r.FalseNonMatches) / float64(len(gen))
	}
	if len(imp) > 0 {
		r.FMR = float64(r.FalseMatches) / float64(len(imp))
	}
	return r
}

// EqualError finds the threshold where FMR and FNMR are closest and returns their
// mean there. When the scores separate completely the EER is 0 and the threshold is
// the midpoint of the gap between the highest impostor and the lowest genuine score.
func EqualError(gen, imp []float64) (eer, threshold float64) {
	if len(gen) == 0 || len(imp) == 0 {
		return math.NaN(), math.NaN()
	}
	gmin, imax := slices.Min(gen), slices.Max(imp)
	if gmin > imax {
		return 0, (gmin + imax) / 2
	}
	cands := append(append([]float64{}, gen...), imp...)
	sort.Float64s(cands)
	best := math.Inf(1)
	for _, t := range cands {
		r := RatesAt(gen, imp, t)
		if d := math.Abs(r.FMR - r.FNMR); d < best {
			best, eer, threshold = d, (r.FMR+r.FNMR)/2, t
		}
	}
	return eer, threshold
}

func summarise(d Degradation, gen, imp []float64, noFace []string, t float64) EvalResult {
	r := EvalResult{Condition: d, Genuine: len(gen), Impostor: len(imp), NoFace: noFace, AtThreshold: RatesAt(gen, imp, t)}
	r.EER, r.EERThreshold = EqualError(gen, imp)
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(max(1, len(v)))
	}
	if len(gen) > 0 {
		r.GenuineMin, r.GenuineMean = slices.Min(gen), mean(gen)
	}
	if len(imp) > 0 {
		r.ImpostorMax, r.ImpostorMean = slices.Max(imp), mean(imp)
	}
	return r
}

// Markdown renders the report for docs/face-eval.md.
func (r EvalReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| condition | genuine pairs | impostor pairs | no face | FMR @ %.2f | FNMR @ %.2f | EER | EER threshold | genuine min / mean | impostor max / mean |\n", r.Threshold, r.Threshold)
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Conditions {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.4f (%d) | %.4f (%d) | %.4f | %.3f | %.3f / %.3f | %.3f / %.3f |\n",
			c.Condition.Name, c.Genuine, c.Impostor, len(c.NoFace), c.AtThreshold.FMR, c.AtThreshold.FalseMatches,
			c.AtThreshold.FNMR, c.AtThreshold.FalseNonMatches, c.EER, c.EERThreshold, c.GenuineMin, c.GenuineMean, c.ImpostorMax, c.ImpostorMean)
	}
	return b.String()
}
