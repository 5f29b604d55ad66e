package facematch

import (
	"context"
	"errors"
	"fmt"

	"github.com/macau-dsi/kiosk/kiosk"
)

// portraitStable is how many frames in a row must pass every portrait check before
// one is taken: a single lucky frame between two blinks is not a photo.
const portraitStable = 3

// guideNotSamePerson is the guidance when the face in front of the camera is not the
// verified resident's: another person has stepped in.
const guideNotSamePerson = kiosk.GuideOnePerson

var _ kiosk.PortraitCamera = (*Verifier)(nil)

// TakePortrait implements kiosk.PortraitCamera on the verifier's camera with the
// default limits.
func (v *Verifier) TakePortrait(ctx context.Context, reference kiosk.FacePhoto, progress func(kiosk.FaceProgress)) (*kiosk.NewPhoto, error) {
	return v.eng.TakePortrait(ctx, v.vo.Source, reference, DefaultPortraitLimits(), progress)
}

// TakePortrait reads frames from src and runs the portrait checks on each, posting
// the first failed check's guidance (and the frame for the preview), until
// portraitStable frames in a row pass; the last of them is cut to the document crop.
// The crop must be the same person as reference (the card photo the resident was
// verified against), at the match threshold: the photo step cannot be used to put
// someone else's face on the resident's document. It returns ctx's error when no
// frame passed in time, and ErrEndOfStream when a recording ended first.
func (e *Engine) TakePortrait(ctx context.Context, src Source, reference kiosk.FacePhoto, lim PortraitLimits, progress func(kiosk.FaceProgress)) (*kiosk.NewPhoto, error) {
	if src == nil {
		return nil, errors.New("facematch: no camera for the photo")
	}
	ref, _, err := e.TemplateFromImage(reference.Data)
	if err != nil {
		return nil, fmt.Errorf("card photo: %w", err)
	}
	defer ref.Zero()
	streak := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := src.Next(ctx)
		if err != nil {
			return nil, err
		}
		rep, err := e.CheckPortrait(f.Mat, lim)
		if err != nil {
			f.Close()
			return nil, err
		}
		guide := rep.Guidance
		streak++
		if !rep.OK {
			streak = 0
		}
		var photo *kiosk.NewPhoto
		if streak >= portraitStable {
			photo, guide, err = e.takeFrame(f, rep, ref)
			if err != nil {
				f.Close()
				return nil, err
			}
			if photo == nil {
				streak = 0
			}
		}
		if progress != nil {
			p := kiosk.FaceProgress{Guidance: guide}
			if img, err := previewImage(f.Mat); err == nil {
				p.Frame = kiosk.Frame{Image: img, Seq: f.Seq, At: f.At}
			}
			progress(p)
		}
		f.Close()
		if photo != nil {
			return photo, nil
		}
	}
}

// takeFrame cuts the crop of a frame that passed, if it is the verified person: a
// nil photo (and the guidance to show) when it is not.
func (e *Engine) takeFrame(f Frame, rep PortraitReport, ref *Template) (*kiosk.NewPhoto, kiosk.Guidance, error) {
	jpeg, err := encodePortrait(f.Mat, rep.Crop)
	if err != nil {
		return nil, "", err
	}
	t, _, err := e.TemplateFromImage(jpeg)
	if errors.Is(err, ErrNoFace) {
		clear(jpeg)
		return nil, kiosk.GuideNoFace, nil
	}
	if err != nil {
		clear(jpeg)
		return nil, "", err
	}
	score := ref.Cosine(t)
	t.Zero()
	same := score >= e.opts.MatchThreshold
	checks := make([]kiosk.Check, 0, len(rep.Checks)+1)
	for _, c := range rep.Checks {
		checks = append(checks, kiosk.Check{Name: c.Name, OK: c.OK, Detail: fmt.Sprintf("%.3f (%s)", c.Measure, c.Limit())})
	}
	checks = append(checks, kiosk.Check{Name: "same_person", OK: same, Detail: fmt.Sprintf("card vs photo %.3f (threshold %.2f)", score, e.opts.MatchThreshold)})
	if !same {
		clear(jpeg)
		return nil, guideNotSamePerson, nil
	}
	return &kiosk.NewPhoto{JPEG: jpeg, Checks: checks}, kiosk.GuideOK, nil
}
