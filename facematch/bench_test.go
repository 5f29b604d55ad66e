package facematch

import (
	"context"
	"image"
	"slices"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// reportLatency adds median and p95 per operation, in milliseconds.
func reportLatency(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(ds[len(ds)/2]), "median-ms")
	b.ReportMetric(ms(ds[min(len(ds)-1, len(ds)*95/100)]), "p95-ms")
}

func benchFrame(b testing.TB) gocv.Mat {
	b.Helper()
	m, _, err := DecodeImage(readTestFile(b, "testdata/faces/facedetect_grace_hopper.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	// A 640×480 camera-like frame with the face at a kiosk distance.
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(110, 110, 110, 0), 480, 640, gocv.MatTypeCV8UC3)
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(m, &small, benchPt(400, 400), 0, 0, gocv.InterpolationArea)
	dst := frame.Region(benchRect(120, 40, 520, 440))
	small.CopyTo(&dst)
	dst.Close()
	return frame
}

// BenchmarkFramePath is the per-frame path of the quality gate at 640×480: detection,
// 68 landmarks and the quality measures (pose from the landmarks; the pose model runs
// on every face.quality.pose_every-th frame, see BenchmarkFramePathWithPose).
func BenchmarkFramePath(b *testing.B) {
	benchAnalyze(b, AnalyzeOptions{})
}

// BenchmarkFramePathWithPose adds fr_pose, as on the frames where it runs.
func BenchmarkFramePathWithPose(b *testing.B) {
	benchAnalyze(b, AnalyzeOptions{Pose: true})
}

// BenchmarkFrameBlinkChallenge is a frame during a blink challenge (eye model too).
func BenchmarkFrameBlinkChallenge(b *testing.B) {
	benchAnalyze(b, AnalyzeOptions{Eyes: true})
}

func benchAnalyze(b *testing.B, ao AnalyzeOptions) {
	e := testEngine(b)
	frame := benchFrame(b)
	defer frame.Close()
	o := e.Options()
	ds := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		a, err := e.Analyze(frame, ao)
		if err != nil || a.Main == nil {
			b.Fatal(err, a.Main)
		}
		if g, _ := o.Assess(a, nil); g == "" {
			b.Fatal("no guidance")
		}
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	reportLatency(b, ds)
}

// BenchmarkEmbedding is alignment + fr_feature on a live frame's landmarks.
func BenchmarkEmbedding(b *testing.B) {
	e := testEngine(b)
	frame := benchFrame(b)
	defer frame.Close()
	a, err := e.Analyze(frame, AnalyzeOptions{})
	if err != nil || a.Main == nil {
		b.Fatal(err)
	}
	ds := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		tm, err := e.TemplateFromObservation(frame, a.Main)
		if err != nil {
			b.Fatal(err)
		}
		tm.Zero()
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	reportLatency(b, ds)
}

// BenchmarkMatch is the 1:1 match of a live frame against a card photo: the live
// embedding (landmarks already known from the frame path) and the cosine.
func BenchmarkMatch(b *testing.B) {
	e := testEngine(b)
	frame := benchFrame(b)
	defer frame.Close()
	a, err := e.Analyze(frame, AnalyzeOptions{})
	if err != nil || a.Main == nil {
		b.Fatal(err)
	}
	ref, _, err := e.TemplateFromImage(readTestFile(b, "testdata/faces/facedetect_grace_hopper.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	defer ref.Zero()
	ds := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		tm, err := e.TemplateFromObservation(frame, a.Main)
		if err != nil {
			b.Fatal(err)
		}
		if ref.Cosine(tm) < e.Options().MatchThreshold {
			b.Fatal("no match")
		}
		tm.Zero()
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	reportLatency(b, ds)
}

// BenchmarkCardPhotoTemplate is decoding a 100 px JPEG 2000 card photo and embedding it.
func BenchmarkCardPhotoTemplate(b *testing.B) {
	e := testEngine(b)
	data := cardPhotoBytes(b, e, "testdata/faces/facedetect_grace_hopper.jpg", ".jp2")
	ds := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		tm, _, err := e.TemplateFromImage(data)
		if err != nil {
			b.Fatal(err)
		}
		tm.Zero()
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	reportLatency(b, ds)
}

// BenchmarkVerifyDecision is a whole Verify on a recorded blink (every frame analysed,
// as fast as the machine goes): card photo, gate, challenge, match. The challenge is
// "any" (the demo's single step): production's blink is the first of a sequence a
// one-action recording cannot finish (TestVerifierSequence).
func BenchmarkVerifyDecision(b *testing.B) {
	e := testEngine(b)
	photo := kiosk.FacePhoto{Format: "jpeg", Data: cardPhotoBytes(b, e, "testdata/faces/skimage_astronaut.png", string(gocv.JPEGFileExt))}
	ds := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		src, err := OpenVideo("testdata/video/blink_astronaut.mp4", SourceOptions{Fast: true, Lossless: true})
		if err != nil {
			b.Fatal(err)
		}
		v, _ := NewVerifier(e, VerifierOptions{Source: src})
		b.StartTimer()
		t := time.Now()
		d, err := v.Verify(context.Background(), photo, kiosk.ChallengeAny, nil)
		ds = append(ds, time.Since(t))
		b.StopTimer()
		src.Close()
		if err != nil || !d.Live || !d.Match {
			b.Fatalf("%v %+v", err, d)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportLatency(b, ds)
}

func benchPt(x, y int) image.Point             { return image.Pt(x, y) }
func benchRect(a, b, c, d int) image.Rectangle { return image.Rect(a, b, c, d) }

// cardPhotoBytes makes a card-like photo (100 px, grey, quality 40) of a test image,
// encoded as ext (".jpg" or ".jp2").
func cardPhotoBytes(b *testing.B, e *Engine, file, ext string) []byte {
	b.Helper()
	m, _, err := DecodeImage(readTestFile(b, file))
	if err != nil {
		b.Fatal(err)
	}
	card, err := e.CardLike(m, Degradation{Width: 100, Grey: true, Quality: 40})
	m.Close()
	if err != nil {
		b.Fatal(err)
	}
	defer card.Close()
	buf, err := gocv.IMEncode(gocv.FileExt(ext), card)
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Close()
	return slices.Clone(buf.GetBytes())
}
