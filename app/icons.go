package app

import (
	"fmt"
	"image/color"
	"strings"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/macau-dsi/kiosk/kiosk"
)

// icon is a small line drawing (24×24 SVG). Fyne's themed resources recolour fills
// only, and these are drawn with strokes, so each icon is rendered in the colour the
// screen asks for (foreground, primary, success...), which also makes it follow high
// contrast. Each guidance and challenge has an icon as well as words: the icon is read
// at a glance, the words say exactly what to do.
type icon struct{ name, body string }

func svgIcon(name, body string) icon { return icon{name, body} }

var iconCache sync.Map // name+colour → fyne.Resource

// in returns the icon drawn in colour c.
func (i icon) in(c color.Color) fyne.Resource {
	r, g, b, _ := c.RGBA()
	hex := fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
	key := i.name + hex
	if res, ok := iconCache.Load(key); ok {
		return res.(fyne.Resource)
	}
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g fill="none" stroke="` + hex +
		`" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">` +
		strings.ReplaceAll(i.body, "#000000", hex) + `</g></svg>`
	res := fyne.NewStaticResource(i.name+"-"+hex[1:]+".svg", []byte(svg))
	iconCache.Store(key, res)
	return res
}

var (
	iconCardIn  = svgIcon("card_in", `<rect x="5" y="2" width="14" height="9" rx="1" stroke-dasharray="2 1.5"/><rect x="5" y="12" width="14" height="10" rx="1.5"/><rect x="7.5" y="14.5" width="4" height="3" rx=".5"/><path d="M12 3v6M9.5 6.5 12 9l2.5-2.5"/><path d="M2 11.5h20"/>`)
	iconCardOut = svgIcon("card_out", `<rect x="5" y="2" width="14" height="10" rx="1.5"/><rect x="7.5" y="4.5" width="4" height="3" rx=".5"/><path d="M2 13.5h20"/><path d="M12 22v-6M9.5 18.5 12 16l2.5 2.5"/>`)
	iconReading = svgIcon("reading", `<rect x="3" y="6" width="12" height="12" rx="1.5"/><rect x="5.5" y="9" width="4" height="3" rx=".5"/><path d="M17.5 8.5a5 5 0 0 1 0 7M20 6a8.5 8.5 0 0 1 0 12"/>`)
	iconFace    = svgIcon("face", `<ellipse cx="12" cy="12" rx="7" ry="9"/><circle cx="9.3" cy="10.5" r=".9" fill="#000000"/><circle cx="14.7" cy="10.5" r=".9" fill="#000000"/><path d="M9.5 15.5q2.5 2 5 0"/>`)
	iconNoFace  = svgIcon("no_face", `<ellipse cx="12" cy="12" rx="7" ry="9" stroke-dasharray="2.5 2"/><path d="M10 10a2 2 0 1 1 2.8 1.8c-.6.3-.8.8-.8 1.4v.6M12 16.5v.3"/>`)
	iconCloser  = svgIcon("closer", `<ellipse cx="12" cy="12" rx="4" ry="5.5"/><path d="M2 2l5 5M7 3v4H3M22 2l-5 5M17 3v4h4M2 22l5-5M7 21v-4H3M22 22l-5-5M17 21v-4h4"/>`)
	iconBack    = svgIcon("back", `<ellipse cx="12" cy="12" rx="4" ry="5.5"/><path d="M7 7L2 2M2 6V2h4M17 7l5-5M22 6V2h-4M7 17l-5 5M2 18v4h4M17 17l5 5M22 18v4h-4"/>`)
	iconCentre  = svgIcon("centre", `<ellipse cx="12" cy="12" rx="6" ry="8" stroke-dasharray="2.5 2"/><path d="M1 12h4M3 10l2 2-2 2M23 12h-4M21 10l-2 2 2 2M12 1v2M12 23v-2"/>`)
	iconCamera  = svgIcon("camera", `<rect x="2" y="6" width="15" height="12" rx="2"/><path d="M17 10l5-3v10l-5-3"/><circle cx="9.5" cy="12" r="3"/>`)
	iconDark    = svgIcon("dark", `<path d="M20 14.5A8.5 8.5 0 1 1 9.5 4a7 7 0 0 0 10.5 10.5z"/>`)
	iconBright  = svgIcon("bright", `<circle cx="12" cy="12" r="4.5"/><path d="M12 1.5v2.5M12 20v2.5M1.5 12H4M20 12h2.5M4.6 4.6l1.8 1.8M17.6 17.6l1.8 1.8M4.6 19.4l1.8-1.8M17.6 6.4l1.8-1.8"/>`)
	iconOne     = svgIcon("one_person", `<circle cx="12" cy="7" r="4"/><path d="M4 22c0-4.5 3.6-7.5 8-7.5s8 3 8 7.5"/>`)
	iconStill   = svgIcon("still", `<path d="M8 13V5.5a1.5 1.5 0 0 1 3 0V12M11 11V4a1.5 1.5 0 0 1 3 0v7M14 11V5.5a1.5 1.5 0 0 1 3 0V14M17 9.5a1.5 1.5 0 0 1 3 0V15a7 7 0 0 1-7 7h-1a7 7 0 0 1-5.5-2.7L3.8 16a1.5 1.5 0 0 1 2.4-1.8L8 16"/>`)
	iconOK      = svgIcon("ok", `<circle cx="12" cy="12" r="10"/><path d="M7 12.5l3.2 3.2L17 9"/>`)
	iconBlink   = svgIcon("blink", `<path d="M2 10q10 9 20 0"/><path d="M5 13.5l-2 2.5M9 15.5l-1 3M15 15.5l1 3M19 13.5l2 2.5"/>`)
	iconLeft    = svgIcon("turn_left", `<ellipse cx="14" cy="12" rx="5" ry="7"/><path d="M9 4.5Q3 6 3 12M3 12l-1.5-2.5M3 12l2.5-1.5"/>`)
	iconRight   = svgIcon("turn_right", `<ellipse cx="10" cy="12" rx="5" ry="7"/><path d="M15 4.5Q21 6 21 12M21 12l1.5-2.5M21 12l-2.5-1.5"/>`)
	iconAny     = svgIcon("any", `<path d="M2 10q5 5 10 0"/><path d="M14 12h8M19 9l3 3-3 3"/>`)
	iconCounter = svgIcon("counter", `<circle cx="12" cy="6" r="3.5"/><path d="M5 15c0-3 3-5 7-5s7 2 7 5"/><path d="M1.5 15h21v7h-21z"/>`)
	iconOff     = svgIcon("out_of_service", `<rect x="3" y="3" width="18" height="13" rx="2"/><path d="M8 21h8M12 16v5M9 7l6 6M15 7l-6 6"/>`)
	iconLarge   = svgIcon("large_text", `<path d="M2 20L8 4l6 16M4.3 14h7.4M15 20l3.5-9 3.5 9M16.2 17h4.6"/>`)
	iconContr   = svgIcon("contrast", `<circle cx="12" cy="12" r="10"/><path d="M12 2a10 10 0 0 1 0 20z" fill="#000000"/>`)
)

// guidanceIcons gives every kiosk.Guidance an icon; the list is also what the
// translation test walks to check every "guide.*" key.
var guidanceIcons = map[kiosk.Guidance]icon{
	kiosk.GuideOK:         iconOK,
	kiosk.GuideNoFace:     iconNoFace,
	kiosk.GuideMoveCloser: iconCloser,
	kiosk.GuideMoveBack:   iconBack,
	kiosk.GuideCentre:     iconCentre,
	kiosk.GuideFaceCamera: iconCamera,
	kiosk.GuideTooDark:    iconDark,
	kiosk.GuideTooBright:  iconBright,
	kiosk.GuideOnePerson:  iconOne,
	kiosk.GuideHoldStill:  iconStill,
}

var challengeIcons = map[kiosk.Challenge]icon{
	kiosk.ChallengeBlink:     iconBlink,
	kiosk.ChallengeTurnLeft:  iconLeft,
	kiosk.ChallengeTurnRight: iconRight,
	kiosk.ChallengeAny:       iconAny,
}
