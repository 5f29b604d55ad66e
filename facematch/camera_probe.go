package facematch

import (
	"context"
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// CameraProber implements kiosk.CameraProber for `kiosk doctor` and staff screens.
type CameraProber struct {
	Camera CameraOptions
	// Production refuses recordings, folders and virtual cameras, as OpenSource does.
	Production bool
	// SysfsRoot is normally "/sys" (the default when empty).
	SysfsRoot string
}

var _ kiosk.CameraProber = CameraProber{}

// Cameras lists the video4linux devices.
func (p CameraProber) Cameras() ([]kiosk.CameraDevice, error) {
	return ListVideoDevices(p.SysfsRoot)
}

// Probe opens the configured source, waits for one valid frame (bounded by ctx) and
// closes it again. It never hangs past ctx and never panics on a missing device.
func (p CameraProber) Probe(ctx context.Context) kiosk.Check {
	c := kiosk.Check{Name: "camera"}
	s, err := OpenSource(p.Camera, SourceOptions{Production: p.Production, SysfsRoot: p.SysfsRoot, Fast: true})
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	defer s.Close()
	f, err := s.Next(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			c.Detail = fmt.Sprintf("%s %s opened but sent no frame in time", s.Info().Kind, s.Info().Name)
		} else {
			c.Detail = err.Error()
		}
		return c
	}
	defer f.Close()
	sc := SourceCheck(s.Info(), p.Production, p.SysfsRoot)
	c.OK = sc.OK
	c.Detail = fmt.Sprintf("%s %s: %dx%d at %.0f fps; %s", s.Info().Kind, s.Info().Name, f.Mat.Cols(), f.Mat.Rows(), s.Info().FPS, sc.Detail)
	return c
}

// Preview converts the frame to an image for the UI, scaled down to at most maxW
// pixels wide (0 keeps the size). The frame is not consumed.
func (f *Frame) Preview(maxW int) (kiosk.Frame, error) {
	if err := ValidateFrame(f.Mat); err != nil {
		return kiosk.Frame{}, err
	}
	src := f.Mat
	if maxW > 0 && f.Mat.Cols() > maxW {
		small := gocv.NewMat()
		defer small.Close()
		h := f.Mat.Rows() * maxW / f.Mat.Cols()
		gocv.Resize(f.Mat, &small, image.Pt(maxW, max(1, h)), 0, 0, gocv.InterpolationArea)
		src = small
	}
	img, err := src.ToImage()
	if err != nil {
		return kiosk.Frame{}, fmt.Errorf("preview: %w", err)
	}
	return kiosk.Frame{Image: img, Seq: f.Seq, At: f.At}, nil
}
