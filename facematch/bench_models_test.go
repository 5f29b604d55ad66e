package facematch

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchEveryModel runs every model on every frame at 640×480 (detector, landmarks,
// pose, both eyes, passive liveness, embedding) and reports latency and cores used
// (CPU time / wall time). threads is OpenCV's thread count for the run.
func benchEveryModel(b *testing.B, threads int) {
	e := testEngine(b)
	frame := benchFrame(b)
	defer frame.Close()
	SetOpenCVThreads(threads)
	defer SetOpenCVThreads(engineThreads)
	ds := make([]time.Duration, 0, b.N)
	ao := AnalyzeOptions{Pose: true, Eyes: true, Passive: true}
	// Warm-up: the first forward pass of each network allocates its buffers.
	if a, err := e.Analyze(frame, ao); err != nil || a.Main == nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0, w0 := cpuTime(), time.Now()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		a, err := e.Analyze(frame, ao)
		if err != nil || a.Main == nil {
			b.Fatal(err)
		}
		tm, err := e.TemplateFromObservation(frame, a.Main)
		if err != nil {
			b.Fatal(err)
		}
		tm.Zero()
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-c0)/float64(time.Since(w0)), "cores")
	reportLatency(b, ds)
}

// BenchmarkEveryModel is the shipped setting: one OpenCV thread per call, pose and
// passive liveness in parallel with landmarks and eyes.
func BenchmarkEveryModel(b *testing.B) { benchEveryModel(b, engineThreads) }

// BenchmarkEveryModelOpenCVDefault lets OpenCV use its default pool (all cores inside
// each layer), as before the thread count was set.
func BenchmarkEveryModelOpenCVDefault(b *testing.B) { benchEveryModel(b, -1) }

// BenchmarkFramePathTracked is a tracked frame of the quality gate: landmarks in the
// previous frame's box, the box following them, and the quality measures (the
// detector runs on every DetectEvery-th frame only).
func BenchmarkFramePathTracked(b *testing.B) {
	e := testEngine(b)
	frame := benchFrame(b)
	defer frame.Close()
	a, err := e.Analyze(frame, AnalyzeOptions{})
	if err != nil || a.Track == nil {
		b.Fatal(err)
	}
	o := e.Options()
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	c0, w0 := cpuTime(), time.Now()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		a2, err := e.Analyze(frame, AnalyzeOptions{Track: a.Track})
		if err != nil || a2.Main == nil || !a2.Tracked {
			b.Fatal(err, a2.Tracked)
		}
		if g, _ := o.Assess(a2, nil); g == "" {
			b.Fatal("no guidance")
		}
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-c0)/float64(time.Since(w0)), "cores")
	reportLatency(b, ds)
}

// BenchmarkLoadEngine and BenchmarkLoadMatchEngine time loading (read, hash, parse,
// test-run) all six models against the three `face compare` uses.
func BenchmarkLoadEngine(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e, err := NewEngine(pipeModelsDir(), DefaultOptions())
		if err != nil {
			b.Skip(err)
		}
		e.Close()
	}
}

func BenchmarkLoadMatchEngine(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e, err := NewMatchEngine(pipeModelsDir(), DefaultOptions())
		if err != nil {
			b.Skip(err)
		}
		e.Close()
	}
}

// BenchmarkReadModels is reading and hashing the six files (no OpenCV).
func BenchmarkReadModels(b *testing.B) {
	for i := 0; i < b.N; i++ {
		for _, s := range CheckModels(pipeModelsDir(), false) {
			if !s.OK {
				b.Skip(s.Problem)
			}
		}
	}
}
