package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
	"github.com/macau-dsi/kiosk/kiosk"
)

func init() {
	faceCmd := &cobra.Command{Use: "face", Short: "Face tools: compare photos, check liveness on a camera or recording, evaluate matching"}
	faceCmd.AddCommand(faceCompareCmd(), faceEvalCmd(), faceCheckCmd(), facePortraitCmd())
	rootCmd.AddCommand(faceCmd)
}

// openEngine loads the configuration and the verified face models.
func openEngine() (config.Config, *facematch.Engine, error) {
	cfg, err := loadConfig()
	if err != nil {
		return cfg, nil, err
	}
	eng, err := facematch.NewEngine(cfg.Face.ModelsDir, faceOptions(cfg.Face))
	if err != nil {
		return cfg, nil, err
	}
	return cfg, eng, nil
}

// openMatchEngine loads only the models that matching photos needs (compare, eval).
func openMatchEngine() (*facematch.Engine, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	return facematch.NewMatchEngine(cfg.Face.ModelsDir, faceOptions(cfg.Face))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type comparePhoto struct {
	File   string `json:"file"`
	Format string `json:"format"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Faces  int    `json:"faces"`
}

type compareResult struct {
	Score     float64      `json:"score"`
	Threshold float64      `json:"threshold"`
	Match     bool         `json:"match"`
	A         comparePhoto `json:"a"`
	B         comparePhoto `json:"b"`
	ElapsedMS float64      `json:"elapsed_ms"`
}

func faceCompareCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Score the faces in two photos (JPEG, PNG, JPEG 2000) and say whether they match at the configured threshold",
		Long: "Score the largest face in each photo with cosine similarity of aligned embeddings.\n" +
			"Exit 0 when they match, 1 when they do not, 2 on bad arguments or configuration.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{fmt.Errorf("face compare needs two image files, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := openMatchEngine()
			if err != nil {
				return err
			}
			defer eng.Close()
			start := time.Now()
			var res compareResult
			var tmpl [2]*facematch.Template
			for i, path := range args {
				data, err := readImageFile(path)
				if err != nil {
					return err
				}
				t, pf, err := eng.TemplateFromImage(data)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				defer t.Zero()
				tmpl[i] = t
				p := comparePhoto{File: path, Format: pf.Info.Format, Width: pf.Info.Width, Height: pf.Info.Height, Faces: pf.Faces}
				if i == 0 {
					res.A = p
				} else {
					res.B = p
				}
			}
			res.Score = tmpl[0].Cosine(tmpl[1])
			res.Threshold = eng.Options().MatchThreshold
			res.Match = res.Score >= res.Threshold
			res.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "score %.4f\nthreshold %.2f\nmatch %v\n", res.Score, res.Threshold, res.Match)
			}
			if !res.Match {
				return errFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// readImageFile reads an image file with a size cap, so a huge file is refused
// before it is read into memory.
func readImageFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, facematch.MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// defaultEvalSet is the labelled set the evaluation uses when none is given: the
// faces copied into facematch's testdata.
func defaultEvalSet() string {
	for _, d := range []string{"facematch/testdata/faces", "../facematch/testdata/faces"} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Join(filepath.Dir(exe), "..", "facematch", "testdata", "faces")
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return "facematch/testdata/faces"
}

func faceEvalCmd() *cobra.Command {
	var asJSON bool
	var dir, report string
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate matching over a labelled folder (one subfolder per person): FMR, FNMR, EER, clean and card-like",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				dir = defaultEvalSet()
			}
			set, err := facematch.LoadLabelledSet(dir)
			if err != nil {
				return usageError{err}
			}
			eng, err := openMatchEngine()
			if err != nil {
				return err
			}
			defer eng.Close()
			start := time.Now()
			rep, err := eng.Evaluate(set, facematch.CardLike)
			if err != nil {
				return err
			}
			rep.Set = dir
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "face eval: %d images of %d people in %s, threshold %.2f (%.1fs)\n\n", rep.Images, rep.People, dir, rep.Threshold, time.Since(start).Seconds())
				fmt.Fprint(out, rep.Markdown())
			}
			if report != "" {
				text := evalMarkdown(rep)
				// What follows the marker (liveness and speed, measured by other
				// commands) is kept as it is.
				if old, err := os.ReadFile(report); err == nil {
					if i := strings.Index(string(old), evalKeepMarker); i >= 0 {
						text += "\n" + string(old[i:])
					}
				}
				if err := os.WriteFile(report, []byte(text), 0o644); err != nil {
					return fmt.Errorf("writing report: %w", err)
				}
				if !asJSON {
					fmt.Fprintf(out, "\nreport written to %s\n", report)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&dir, "dir", "", "labelled folder, one subfolder per person (default facematch/testdata/faces)")
	cmd.Flags().StringVar(&report, "report", "", "also write the report as Markdown to this file (e.g. docs/face-eval.md)")
	return cmd
}

// evalKeepMarker starts the hand-written part of the report that `face eval
// --report` keeps.
const evalKeepMarker = "<!-- kept by kiosk face eval: written by hand below -->"

// evalMarkdown is the whole report file: what was measured and how, then the table.
func evalMarkdown(r facematch.EvalReport) string {
	var b strings.Builder
	b.WriteString("# Face matching evaluation\n\n")
	b.WriteString("Generated by `make eval-face` (`kiosk face eval --report docs/face-eval.md`); do not edit by hand.\n\n")
	fmt.Fprintf(&b, "Set: `%s`, %d images of %d people (a person is a subfolder; an image at the top is a person of its own).\n", r.Set, r.Images, r.People)
	fmt.Fprintf(&b, "Threshold: %.2f (`face.match_threshold`). A pair matches when its cosine similarity is at or above it.\n\n", r.Threshold)
	b.WriteString("Pipeline: fr_detect → fr_landmark (68 points) → 5-point similarity alignment to 112×112 → fr_feature (512-d) → cosine.\n")
	b.WriteString("`clean` scores every unordered pair once. The card-like rows score every ordered pair with the second image degraded\n")
	b.WriteString("(a scene whose face is under 40% of its width is first cropped to a head-and-shoulders portrait, as a card photo is; then resized\n")
	b.WriteString("to the width shown, greyscale, JPEG at the quality shown, decoded again) as the card photo, and the first, untouched, as the live face.\n")
	b.WriteString("The `live …` rows degrade the live side instead (the card side is then `card 100px grey q30`), in this order: a side-light\n")
	b.WriteString("gradient s (the picture multiplied by a ramp from 1+s on the left to 1−s on the right, floored at 0.05), exposure factor, gamma\n")
	b.WriteString("(v → 255·(v/255)^γ), horizontal motion blur of the length shown, Gaussian sensor noise of the σ shown (seeded per image).\n")
	b.WriteString("`no face` counts images (live or card side) where no face was found; their pairs are left out of the rates.\n")
	b.WriteString("FMR: impostor pairs at or above the threshold; FNMR: genuine pairs below it (counts in brackets). EER threshold: where FMR and FNMR\n")
	b.WriteString("are closest; with complete separation the EER is 0 and the threshold is the middle of the gap.\n\n")
	b.WriteString(r.Markdown())
	for _, c := range r.Conditions {
		if len(c.NoFace) > 0 {
			fmt.Fprintf(&b, "\nNo face found (%s): %s\n", c.Condition.Name, strings.Join(c.NoFace, ", "))
		}
	}
	b.WriteString("\nCaveat: this set is small (a few people, mostly frontal 150×150 crops). It checks the pipeline end to end; it does not\n")
	b.WriteString("estimate error rates for the population. The threshold was not tuned on it beyond checking the gap.\n")
	return b.String()
}

type checkResult struct {
	Live      bool                       `json:"live"`
	Reason    string                     `json:"reason"`
	Challenge kiosk.Challenge            `json:"challenge"`
	Sequence  []facematch.Step           `json:"sequence"`
	Checks    []kiosk.Check              `json:"checks"`
	Passive   float64                    `json:"passive"`
	Injection facematch.InjectionVerdict `json:"injection"`
	Timings   facematch.Timings          `json:"timings"`
	Source    string                     `json:"source"`
}

func faceCheckCmd() *cobra.Command {
	var (
		asJSON    bool
		camera    int
		video     string
		challenge string
	)
	cmd := &cobra.Command{
		Use:   "check (--camera N | --video FILE)",
		Short: "Run the quality gate and a liveness challenge on a camera or a recording",
		Long: "Run the quality gate, then the challenge (blink, turn-left, turn-right; any accepts any of them,\n" +
			"for recordings), with the injected-video checks. Exit 0 when live, 1 when not, 2 on bad arguments.\n" +
			"Turn left means the resident's own left: the nose moves towards the right of the (unmirrored) camera picture.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			camSet := cmd.Flags().Changed("camera")
			if camSet == (video != "") {
				return usageError{errors.New("face check needs exactly one of --camera N or --video FILE")}
			}
			// "random" is what production runs: the session's pick (kiosk.PickChallenge)
			// then the verifier's plan of two or three actions (facematch.PlanChallenge).
			var (
				ch   kiosk.Challenge
				plan []facematch.Step
				err  error
			)
			if challenge == "random" {
				if ch, err = kiosk.PickChallenge(rand.Reader); err == nil {
					plan, err = facematch.PlanChallenge(ch, rand.Reader)
				}
				if err != nil {
					return err
				}
			} else if ch, err = facematch.ParseChallenge(challenge); err != nil {
				return usageError{err}
			}
			cfg, eng, err := openEngine()
			if err != nil {
				return err
			}
			defer eng.Close()
			var src facematch.Source
			if video != "" {
				if _, err := os.Stat(video); err != nil {
					return usageError{err}
				}
				// Every frame of a recording is analysed, as fast as the machine goes;
				// liveness timing uses the recording's own timestamps.
				src, err = facematch.OpenVideo(video, facematch.SourceOptions{Fast: true, Lossless: true})
			} else {
				c := cfg.Face.Camera
				src, err = facematch.OpenWebcam(fmt.Sprintf("/dev/video%d", camera), c.Width, c.Height, c.FPS, facematch.SourceOptions{})
			}
			if err != nil {
				return err
			}
			defer src.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), cfg.Face.Quality.Timeout+cfg.Face.ChallengeTimeout+10*time.Second)
			defer cancel()
			var progress func(kiosk.FaceProgress)
			if !asJSON {
				last := kiosk.Guidance("")
				lastPrompt := kiosk.Challenge("")
				progress = func(p kiosk.FaceProgress) {
					if p.Guidance != last {
						fmt.Fprintf(cmd.ErrOrStderr(), "guidance: %s\n", p.Guidance)
						last = p.Guidance
					}
					if p.Challenge != lastPrompt && p.Challenge != "" {
						fmt.Fprintf(cmd.ErrOrStderr(), "prompt: %s\n", p.Challenge)
					}
					lastPrompt = p.Challenge
				}
			}
			o, err := eng.RunLiveness(ctx, src, facematch.RunOptions{Challenge: ch, Sequence: plan, Progress: progress})
			if err != nil {
				return err
			}
			res := checkResult{Live: o.Live, Reason: o.Reason, Challenge: o.Challenge, Sequence: o.Sequence, Checks: o.Checks, Passive: o.Passive,
				Injection: o.Injection, Timings: o.Timings, Source: string(src.Info().Kind)}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "live %v\nreason %s\nchallenge %s\n", res.Live, res.Reason, facematch.PlanString(res.Sequence))
				for _, c := range res.Checks {
					mark := "ok  "
					if !c.OK {
						mark = "FAIL"
					}
					fmt.Fprintf(out, "  %s %-26s %s\n", mark, c.Name, c.Detail)
				}
				fmt.Fprintf(out, "frames %d, analysis median %.1f ms, p95 %.1f ms\n", res.Timings.Frames,
					float64(res.Timings.FrameMedian.Microseconds())/1000, float64(res.Timings.FrameP95.Microseconds())/1000)
			}
			if !res.Live {
				return errFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&camera, "camera", 0, "webcam index (/dev/videoN)")
	cmd.Flags().StringVar(&video, "video", "", "recording to check instead of a camera")
	cmd.Flags().StringVar(&challenge, "challenge", "any", "blink, turn-left, turn-right, any (one action, for recordings) or random (what production runs: 2-3 random actions at random moments)")
	return cmd
}

func facePortraitCmd() *cobra.Command {
	var asJSON bool
	var cropOut string
	cmd := &cobra.Command{
		Use:   "portrait FILE",
		Short: "Run the new-photo portrait checks (ICAO 9303 / ISO/IEC 19794-5) on an image file and print each measure",
		Long: "Run the same portrait checks the kiosk runs on its camera before it takes a new document photo:\n" +
			"one face, head size and position, resolution, yaw/pitch/roll, eyes open, mouth closed, sharpness,\n" +
			"even light, a plain light background and natural colour (docs/portrait-checks.md says why each limit).\n" +
			"--crop writes the 35x45 document crop (JPEG, mode 0600) when every check passes.\n" +
			"Exit 0 when every check passes, 1 when some fail, 2 on bad arguments or an unreadable image.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("face portrait needs one image file, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readImageFile(args[0])
			if err != nil {
				return err
			}
			// The image is checked before the models are loaded: a wrong file is
			// refused at once, and OpenCV never decodes what the header check refused.
			if _, err := facematch.InspectImage(data); err != nil {
				return usageError{fmt.Errorf("%s: %w", args[0], err)}
			}
			_, eng, err := openEngine()
			if err != nil {
				return err
			}
			defer eng.Close()
			rep, crop, err := eng.PortraitFromImage(data, facematch.DefaultPortraitLimits())
			if err != nil {
				if errors.Is(err, facematch.ErrBadFrame) || errors.As(err, new(*facematch.ImageError)) {
					return usageError{fmt.Errorf("%s: %w", args[0], err)}
				}
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "%s: %dx%d\n", args[0], rep.Width, rep.Height)
				for _, c := range rep.Checks {
					mark := "ok  "
					if !c.OK {
						mark = "FAIL"
					}
					line := fmt.Sprintf("  %s %-17s %9.3f  %-12s %s", mark, c.Name, c.Measure, c.Limit(), c.Unit)
					if !c.OK {
						line += "  -> " + string(c.Guidance)
					}
					fmt.Fprintln(out, strings.TrimRight(line, " "))
				}
				verdict := "all checks pass"
				if !rep.OK {
					verdict = "failed: " + strings.Join(rep.Failed(), ", ")
				}
				fmt.Fprintln(out, verdict)
			}
			if cropOut != "" && crop != nil {
				if err := os.WriteFile(cropOut, crop, 0o600); err != nil {
					return fmt.Errorf("writing the crop: %w", err)
				}
			}
			if !rep.OK {
				return errFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&cropOut, "crop", "", "write the 35x45 document crop (JPEG) here when every check passes")
	return cmd
}
