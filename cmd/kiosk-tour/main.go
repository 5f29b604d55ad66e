// Command kiosk-tour shows the sample snapshot of every kiosk screen in every
// language (kiosk/kiosktest.Samples) in the kiosk's real Fyne window, one per line
// read from stdin, announcing each as "SCREEN <lang>_<state>" on stdout, then
// "DONE". packaging/screenshots.sh drives it under Xvfb.
//
// It is a separate binary, not a flag of cmd/kiosk, because kiosktest imports the
// testing package: the production binary must not link test code (cmd/kiosk's
// deps_test.go checks it).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

func main() {
	windowed := flag.Bool("windowed", false, "a 1920×1080 window instead of full screen")
	allModes := flag.String("all-modes", "", "tour every screen at normal and large text, normal and high contrast, names suffixed with this (e.g. 1280x1024)")
	prompts := flag.Bool("prompts", false, "print the spoken prompts (id, language, text; tab-separated) for packaging/render-prompts.sh and exit")
	flag.Parse()
	if *prompts {
		if err := printPrompts(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "kiosk-tour:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: kiosk-tour [--windowed] (steps on each line of stdin)")
		os.Exit(2)
	}
	stops := tourStops()
	if *allModes != "" {
		stops = modeStops(*allModes)
	}
	if err := run(*windowed, stops, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk-tour:", err)
		os.Exit(1)
	}
}

// printPrompts writes every prompt in every language, one per line.
func printPrompts(out io.Writer) error {
	tr, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		return err
	}
	return kioskapp.WritePrompts(out, kioskapp.Prompts(tr))
}

// stop is one screen of the tour.
type stop struct {
	name string
	snap kiosk.Snapshot
}

// tourStops lists every sample state in every language, then per language the
// menu's display modes and the demo banner.
func tourStops() []stop {
	var stops []stop
	for _, l := range kiosk.Languages {
		samples := kiosktest.Samples(l)
		for _, st := range kiosk.States {
			s, ok := samples[st]
			if !ok {
				continue
			}
			if st == kiosk.StateFace {
				s.Face.Frame = &kiosk.Frame{Image: standInFrame(), Seq: 1}
			}
			stops = append(stops, stop{string(l) + "_" + string(st), s})
		}
		m := samples[kiosk.StateServiceMenu]
		m.LargeText = true
		stops = append(stops, stop{string(l) + "_service_menu_large", m})
		m.LargeText, m.HighContrast = false, true
		stops = append(stops, stop{string(l) + "_service_menu_contrast", m})
		d := samples[kiosk.StateAttract]
		d.Demo = true
		stops = append(stops, stop{string(l) + "_attract_demo", d})
	}
	return stops
}

// modeStops lists every sample state in every language at normal and large text, in
// normal and high contrast: <lang>_<state>_<text>_<colours>_<suffix>.
func modeStops(suffix string) []stop {
	var stops []stop
	for _, l := range kiosk.Languages {
		samples := kiosktest.Samples(l)
		for _, st := range kiosk.States {
			s, ok := samples[st]
			if !ok {
				continue
			}
			if st == kiosk.StateFace {
				s.Face.Frame = &kiosk.Frame{Image: standInFrame(), Seq: 1}
			}
			for _, large := range []bool{false, true} {
				for _, hc := range []bool{false, true} {
					s.LargeText, s.HighContrast = large, hc
					name := string(l) + "_" + string(st) + map[bool]string{false: "_normal", true: "_large"}[large] +
						map[bool]string{false: "_colour", true: "_contrast"}[hc] + "_" + suffix
					stops = append(stops, stop{name, s})
				}
			}
		}
	}
	return stops
}

// run shows the tour in the real window, stepping on each line of in.
func run(windowed bool, stops []stop, in io.Reader, out io.Writer) error {
	tr, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		return err
	}
	flow := kiosktest.NewFlow(stops[0].snap)
	a := fyneapp.NewWithID("mo.gov.dsi.kiosk")
	w := a.NewWindow("kiosk tour")
	ui := kioskapp.New(a, w, tr, flow, nil)
	w.SetPadded(false)
	if windowed {
		w.Resize(fyne.NewSize(1920, 1080))
	} else {
		w.SetFullScreen(true)
	}
	go func() {
		lines := bufio.NewScanner(in)
		for _, s := range stops {
			flow.Set(s.snap)
			// Let the driver draw a few frames before the picture is taken.
			time.Sleep(700 * time.Millisecond)
			fmt.Fprintln(out, "SCREEN "+s.name)
			if !lines.Scan() {
				break
			}
		}
		fmt.Fprintln(out, "DONE")
		fyne.Do(func() { a.Quit() })
	}()
	ui.Start()
	w.ShowAndRun()
	ui.Stop()
	return nil
}

// standInFrame draws a stand-in camera picture for the face screen: a grey room and
// the outline of a head and shoulders (no real face in the documentation).
func standInFrame() image.Image {
	const w, h = 640, 480
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy := w/2.0, h/2.0
	rx, ry := 95.0, 125.0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(60 + 40*y/h)
			c := color.NRGBA{v, v, v + 10, 0xff}
			ex, ey := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			switch {
			case math.Sqrt(ex*ex+ey*ey) < 1:
				c = color.NRGBA{0xc8, 0xa0, 0x82, 0xff}
			case float64(y) > cy+ry*0.8 && math.Abs(float64(x)-cx) < rx*1.8:
				c = color.NRGBA{0x30, 0x40, 0x70, 0xff} // shoulders
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}
