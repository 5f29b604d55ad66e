package kiosktest

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"sync"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Photos is a scriptable portrait camera: each TakePortrait posts Progress, then
// returns the next result of the script (the last one repeats).
type Photos struct {
	mu      sync.Mutex
	results []PhotoResult
	calls   int
	given   []*kiosk.NewPhoto

	// Progress is posted by every TakePortrait before it returns.
	Progress []kiosk.FaceProgress
}

// PhotoResult is one try: a photo, none in time (TimedOut), or a failure (Err).
type PhotoResult struct {
	JPEG     []byte
	TimedOut bool
	Err      error
}

// SamplePhoto is a real crop: what facematch's Portrait cut from the `good` test
// image (PORTRAIT_OUT of TestPortraitChecksOnImages; Grace Hopper's public-domain
// portrait, see facematch/testdata/video/PROVENANCE.md), re-encoded at quality 80,
// so that the review screen's sample shows what a resident would see.
//
//go:embed testdata/portrait_crop.jpg
var SamplePhoto []byte

// NewPhotos scripts the results of successive tries (default: one good photo).
func NewPhotos(results ...PhotoResult) *Photos {
	if len(results) == 0 {
		results = []PhotoResult{{JPEG: SamplePhoto}}
	}
	return &Photos{results: results, Progress: []kiosk.FaceProgress{
		{Guidance: kiosk.GuideMoveCloser}, {Guidance: kiosk.GuidePlainBackground}, {Guidance: kiosk.GuideOK},
	}}
}

// TakePortrait implements kiosk.PortraitCamera.
func (p *Photos) TakePortrait(ctx context.Context, ref kiosk.FacePhoto, progress func(kiosk.FaceProgress)) (*kiosk.NewPhoto, error) {
	if len(ref.Data) == 0 {
		return nil, errors.New("fake photos: no card photo to compare with")
	}
	p.mu.Lock()
	r := p.results[min(p.calls, len(p.results)-1)]
	p.calls++
	steps := append([]kiosk.FaceProgress(nil), p.Progress...)
	p.mu.Unlock()
	for _, s := range steps {
		progress(s)
	}
	switch {
	case r.Err != nil:
		return nil, r.Err
	case r.TimedOut:
		return nil, context.DeadlineExceeded
	}
	ph := &kiosk.NewPhoto{JPEG: bytes.Clone(r.JPEG), Checks: []kiosk.Check{{Name: "one_face", OK: true}}}
	p.mu.Lock()
	p.given = append(p.given, ph)
	p.mu.Unlock()
	return ph, ctx.Err()
}

// Calls counts TakePortrait calls.
func (p *Photos) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// Given lists the photos handed to the session (to check that they were wiped).
func (p *Photos) Given() []*kiosk.NewPhoto {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*kiosk.NewPhoto(nil), p.given...)
}
