package facematch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gocv.io/x/gocv"

	manifest "github.com/macau-dsi/kiosk/assets/models"
)

// modelSpec describes one ONNX model: the input it is fed and the outputs it must
// produce. Its SHA-256 is pinned in assets/models/manifest.txt (embedded).
type modelSpec struct {
	File    string
	Input   []int            // NCHW
	Outputs map[string][]int // output layer name → shape
}

// Model names, used as keys of Models and in ModelStatus.
const (
	ModelDetect   = "fr_detect.onnx"
	ModelLandmark = "fr_landmark.onnx"
	ModelFeature  = "fr_feature.onnx"
	ModelLiveness = "fr_liveness.onnx"
	ModelEye      = "fr_eye.onnx"
	ModelPose     = "fr_pose.onnx"
)

// maxModelBytes bounds what is read into memory for hashing/parsing; the largest
// pinned model is under 6 MB.
const maxModelBytes = 64 << 20

var modelSpecs = []modelSpec{
	{ModelDetect, []int{1, 3, detectH, detectW},
		map[string][]int{"boxes": {1, numPriors, 4}, "scores": {1, numPriors, 2}}},
	{ModelLandmark, []int{1, 1, landmarkSize, landmarkSize},
		map[string][]int{"output": {1, 136}}},
	{ModelFeature, []int{1, 3, alignSize, alignSize},
		map[string][]int{"output": {1, EmbeddingSize}}},
	{ModelLiveness, []int{1, 3, livenessSize, livenessSize},
		map[string][]int{"output": {1, 3}}},
	{ModelEye, []int{1, 1, eyeSize, eyeSize},
		map[string][]int{"output": {1, 2}}},
	{ModelPose, []int{1, 3, poseSize, poseSize},
		map[string][]int{"output": {1, poseBins}, "617": {1, poseBins}, "618": {1, poseBins}}},
}

// ModelStatus is the outcome of checking one model file, for `kiosk doctor`.
type ModelStatus struct {
	Model   string `json:"model"`
	Path    string `json:"path"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
	Err     error  `json:"-"`
}

// CheckModels checks every pinned model in dir: present, a regular file of sane size,
// SHA-256 as pinned. With load it also parses each one with OpenCV and runs a forward
// pass on a dummy input to check the output shapes (about half a second for all six);
// without it the check only hashes 15 MB of files and never calls OpenCV. A model that
// fails its checksum is never handed to OpenCV.
func CheckModels(dir string, load bool) []ModelStatus {
	out := make([]ModelStatus, 0, len(modelSpecs))
	for _, spec := range modelSpecs {
		path := filepath.Join(dir, spec.File)
		st := ModelStatus{Model: spec.File, Path: path}
		data, err := readVerified(path, spec)
		if err == nil && load {
			var net gocv.Net
			net, err = loadNet(path, spec, data)
			if err == nil {
				net.Close()
			}
		}
		if err != nil {
			st.Err = err
			if me, ok := err.(*ModelError); ok {
				st.Problem = me.Err.Error() + ": " + me.Detail
			} else {
				st.Problem = err.Error()
			}
			st.Fix = "make models (packaging/fetch-models.sh " + dir + ")"
		} else {
			st.OK = true
		}
		out = append(out, st)
	}
	return out
}

// readVerified reads a model file and checks it against its pinned checksum.
func readVerified(path string, spec modelSpec) ([]byte, error) {
	merr := func(sentinel error, format string, args ...any) error {
		return &ModelError{Model: spec.File, Path: path, Detail: fmt.Sprintf(format, args...), Err: sentinel}
	}
	fi, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, merr(ErrModelMissing, "no file at %s", path)
		}
		return nil, merr(ErrModelMissing, "%v", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, merr(ErrModelInvalid, "%s is not a regular file", path)
	}
	if fi.Size() == 0 || fi.Size() > maxModelBytes {
		return nil, merr(ErrModelInvalid, "size %d bytes is not plausible", fi.Size())
	}
	// One read of the stated size (the size was bounded above) instead of
	// io.ReadAll's growing buffer: reading and hashing the six went from 28.2 to
	// 25.2 ms (BenchmarkReadModels, load 12 on 2 cores); most of the rest is SHA-256.
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, merr(ErrModelMissing, "%v", err)
	}
	if len(data) > maxModelBytes {
		return nil, merr(ErrModelInvalid, "grew past %d bytes while read", maxModelBytes)
	}
	want, ok := manifest.SHA256Of(spec.File)
	if !ok {
		return nil, merr(ErrModelChecksum, "not pinned in assets/models/manifest.txt")
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, merr(ErrModelChecksum, "sha256 %s, pinned %s", got, want)
	}
	return data, nil
}

// loadNet parses verified model bytes and checks the output shapes on a dummy input.
func loadNet(path string, spec modelSpec, data []byte) (gocv.Net, error) {
	merr := func(format string, args ...any) error {
		return &ModelError{Model: spec.File, Path: path, Detail: fmt.Sprintf(format, args...), Err: ErrModelInvalid}
	}
	net, err := gocv.ReadNetFromONNXBytes(data)
	if err != nil {
		return net, merr("parsing: %v", err)
	}
	if net.Empty() {
		net.Close()
		return gocv.Net{}, merr("OpenCV could not parse it")
	}
	_ = net.SetPreferableBackend(gocv.NetBackendOpenCV)
	_ = net.SetPreferableTarget(gocv.NetTargetCPU)
	names := make([]string, 0, len(spec.Outputs))
	for n := range spec.Outputs {
		names = append(names, n)
	}
	slices.Sort(names)
	have := map[string]bool{}
	for _, id := range net.GetUnconnectedOutLayers() {
		l := net.GetLayer(id)
		have[l.GetName()] = true
		l.Close()
	}
	for _, n := range names {
		if !have[n] {
			net.Close()
			return gocv.Net{}, merr("no output named %q", n)
		}
	}
	blob := gocv.NewMatWithSizes(spec.Input, gocv.MatTypeCV32F)
	defer blob.Close()
	net.SetInput(blob, "")
	outs := net.ForwardLayers(names)
	defer func() {
		for _, o := range outs {
			o.Close()
		}
	}()
	for i, n := range names {
		if got := outs[i].Size(); !slices.Equal(got, spec.Outputs[n]) {
			net.Close()
			return gocv.Net{}, merr("output %q has shape %v, want %v", n, got, spec.Outputs[n])
		}
	}
	return net, nil
}

func dirOf(path string) string {
	if path == "" {
		return "DIR"
	}
	return filepath.Dir(path)
}
