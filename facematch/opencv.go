package facematch

import "gocv.io/x/gocv"

// OpenCVVersion is the version of the OpenCV library gocv is linked against, for
// `kiosk doctor` (gocv v0.32.0 needs 4.6; newer gocv needs 4.7 or later).
func OpenCVVersion() string { return gocv.OpenCVVersion() }
