package facematch

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include "threads.h"
*/
import "C"

// SetOpenCVThreads sets the size of OpenCV's own thread pool (cv::setNumThreads),
// process-wide. OpenCV otherwise uses every core inside each dnn layer, silently
// (issue 14 measured 16–42% more CPU for 14–36% less latency on 2 cores).
// facematch sets it deliberately instead: one OpenCV thread per call, and independent
// models run in parallel on purpose (Engine.Analyze); this repository's measurements,
// with the machine's load, are in docs/face-eval.md. n < 0 restores OpenCV's default.
func SetOpenCVThreads(n int) {
	if n < 0 {
		n = -1
	}
	C.facematch_set_num_threads(C.int(n))
}

// OpenCVThreads is OpenCV's current thread count.
func OpenCVThreads() int { return int(C.facematch_get_num_threads()) }
