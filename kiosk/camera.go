package kiosk

import "context"

// CameraDevice is one video device the operating system offers.
type CameraDevice struct {
	Path    string `json:"path"`   // /dev/videoN
	Name    string `json:"name"`   // the name the driver gives the device
	Driver  string `json:"driver"` // kernel module, e.g. uvcvideo, v4l2loopback
	Virtual bool   `json:"virtual"`
	Why     string `json:"why,omitempty"` // why it is considered virtual
}

// CameraProber lets `kiosk doctor` and the staff screens see the cameras without
// knowing OpenCV. Implemented by facematch.
type CameraProber interface {
	// Cameras lists the video devices; none is an empty list, not an error.
	Cameras() ([]CameraDevice, error)
	// Probe opens the configured camera, waits for one valid frame and closes it.
	// The Check says what was found or how to fix it.
	Probe(ctx context.Context) Check
}
