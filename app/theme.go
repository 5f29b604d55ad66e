package app

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/macau-dsi/kiosk/assets"
)

// Touch target: 15 mm. A 24" 1920×1080 kiosk panel has about 3.6 px/mm, a 21.5" one
// about 4 px/mm; a kiosk is touched at arm's length, so the targets use the larger
// figure and round up: 96 px, which is at least 15 mm on any panel up to 27".
const minTouch float32 = 96

// kioskTheme is the kiosk's look: light with DSI blue, or black/white/yellow in high
// contrast; normal or large text. It never follows the desktop's dark mode: a kiosk
// must look the same on every machine.
type kioskTheme struct {
	large    bool
	contrast bool
	font     fyne.Resource // nil: the bundled fonts
}

// cjkFont is the bundled Droid Sans Fallback. Fyne tries the theme font first and then
// its own Noto Sans for any glyph the first one lacks; Droid has no Latin letters, so
// Chinese comes from Droid and Latin, digits and accents from Noto, on every machine.
var cjkFont = fyne.NewStaticResource(assets.CJKFontName, assets.CJKFont())

// chineseFont is the bundled WenQuanYi Micro Hei: Droid Sans Fallback's Chinese with
// Droid Sans's Latin and digits in one face. It draws every text that has Chinese in
// it (marked hanStyle), so digits have the weight of the Chinese around them: with
// Droid first, digits came from Noto, and in bold text from Noto Bold beside Droid's
// Chinese, which has no bold. Text without Chinese keeps Droid first and Noto's Latin
// with its bold.
var chineseFont = fyne.NewStaticResource(assets.ChineseFontName, assets.ChineseFont())

// hanTab marks a text style as Chinese text (hanStyle). Fyne chooses a font by text
// style alone, and a theme per language is no way out: every theme change makes Fyne
// parse its fonts again and keep the old faces (a theme per session's language grew
// the heap by 6.9 GB over 100 sessions in TestMemoryFlatOver100Sessions). The tab
// width is the one field of a style that our texts never use: they have no tabs.
const hanTab = 7

// hanStyle is st marked for the Chinese face when text has Chinese in it.
func hanStyle(text string, st fyne.TextStyle) fyne.TextStyle {
	if hasHan(text) {
		st.TabWidth = hanTab
	} else if st.TabWidth == hanTab {
		st.TabWidth = 0
	}
	return st
}

func newTheme(large, contrast bool, font fyne.Resource) *kioskTheme {
	return &kioskTheme{large: large, contrast: contrast, font: font}
}

// LoadFont reads a replacement CJK font (ui.font_file); "" keeps the bundled one.
// Fyne renders single .ttf/.otf fonts only, not .ttc collections.
func LoadFont(path string) (fyne.Resource, error) {
	if path == "" {
		return nil, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ttf", ".otf":
	default:
		return nil, fmt.Errorf("font %s: a .ttf or .otf file is needed (Fyne cannot use .ttc collections)", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	return fyne.NewStaticResource(filepath.Base(path), data), nil
}

var (
	dsiBlue      = color.NRGBA{0x00, 0x4e, 0x9a, 0xff}
	dsiBlueLight = color.NRGBA{0xd6, 0xe6, 0xf7, 0xff}
	ink          = color.NRGBA{0x14, 0x1a, 0x22, 0xff}
	paper        = color.NRGBA{0xf5, 0xf7, 0xfa, 0xff}
	white        = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	black        = color.NRGBA{0x00, 0x00, 0x00, 0xff}
	yellow       = color.NRGBA{0xff, 0xdd, 0x00, 0xff}
	greyText     = color.NRGBA{0x5f, 0x67, 0x70, 0xff} // 5.9:1 on paper: still readable
	redAlert     = color.NRGBA{0xb0, 0x00, 0x20, 0xff}
	greenOK      = color.NRGBA{0x0b, 0x6e, 0x2e, 0xff}
	demoOrange   = color.NRGBA{0xe8, 0x5d, 0x00, 0xff}
)

func (k *kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if k.contrast {
		switch n {
		case theme.ColorNameBackground, theme.ColorNameOverlayBackground, theme.ColorNameMenuBackground,
			theme.ColorNameHeaderBackground, theme.ColorNameInputBackground:
			return black
		case theme.ColorNameButton:
			// Dark grey, not black: the key's shape must show on the black page, and
			// white on it is still 12.6:1.
			return color.NRGBA{0x33, 0x33, 0x33, 0xff}
		case theme.ColorNameDisabledButton:
			return color.NRGBA{0x1a, 0x1a, 0x1a, 0xff}
		case theme.ColorNameForeground, theme.ColorNameInputBorder, theme.ColorNameSeparator:
			return white
		case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
			return color.NRGBA{0xc8, 0xc8, 0xc8, 0xff} // grey but 12:1 on black
		case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink, theme.ColorNameSelection:
			return yellow
		case theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnWarning, theme.ColorNameForegroundOnSuccess:
			return black
		case theme.ColorNameForegroundOnError:
			return black // on the light red below: 7:1
		case theme.ColorNameError:
			return color.NRGBA{0xff, 0x6b, 0x6b, 0xff}
		case theme.ColorNameSuccess:
			return color.NRGBA{0x5c, 0xff, 0x8a, 0xff}
		case theme.ColorNameWarning:
			return yellow
		case theme.ColorNamePressed:
			return color.NRGBA{0xff, 0xff, 0xff, 0x55}
		case theme.ColorNameHover:
			// Nothing depends on hover on a touch screen; keep it invisible-ish.
			return color.NRGBA{0xff, 0xff, 0xff, 0x18}
		case theme.ColorNameShadow:
			return color.Transparent
		case theme.ColorNameScrollBar:
			return white
		}
		return theme.DefaultTheme().Color(n, theme.VariantDark)
	}
	switch n {
	case theme.ColorNameBackground, theme.ColorNameHeaderBackground:
		return paper
	case theme.ColorNameOverlayBackground, theme.ColorNameMenuBackground, theme.ColorNameInputBackground:
		return white
	case theme.ColorNameButton:
		return white
	case theme.ColorNameDisabledButton:
		return color.NRGBA{0xe6, 0xe8, 0xeb, 0xff}
	case theme.ColorNameForeground:
		return ink
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		return greyText
	case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink:
		return dsiBlue
	case theme.ColorNameSelection:
		return dsiBlueLight
	case theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnError, theme.ColorNameForegroundOnSuccess:
		return white
	case theme.ColorNameForegroundOnWarning:
		return ink
	case theme.ColorNameError:
		return redAlert
	case theme.ColorNameSuccess:
		return greenOK
	case theme.ColorNameWarning:
		return color.NRGBA{0xf2, 0xb1, 0x00, 0xff}
	case theme.ColorNameInputBorder, theme.ColorNameSeparator:
		return color.NRGBA{0x8a, 0x93, 0x9c, 0xff}
	case theme.ColorNamePressed:
		return color.NRGBA{0x00, 0x4e, 0x9a, 0x40}
	case theme.ColorNameHover:
		return color.NRGBA{0x00, 0x4e, 0x9a, 0x10}
	case theme.ColorNameShadow:
		return color.NRGBA{0, 0, 0, 0x30}
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

func (k *kioskTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	// Bold and italic also name the CJK font first: Fyne then falls back to its bold or
	// italic Noto for Latin, so Latin keeps its weight and Chinese still renders.
	if k.font != nil {
		return k.font
	}
	if s.TabWidth == hanTab {
		return chineseFont
	}
	return cjkFont
}

func (k *kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(n)
}

// Text sizes in px at scale 1 on a 1920×1080 panel. Large text is about 1.35×.
func (k *kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	f := float32(1)
	if k.large {
		f = 1.35
	}
	switch n {
	case theme.SizeNameText:
		return 28 * f
	case theme.SizeNameHeadingText:
		return 52 * f
	case theme.SizeNameSubHeadingText:
		return 36 * f
	case theme.SizeNameCaptionText:
		return 22 * f
	case theme.SizeNamePadding:
		return 8
	case theme.SizeNameInnerPadding:
		return 20
	case theme.SizeNameLineSpacing:
		return 8 * f
	case theme.SizeNameInlineIcon:
		return 36 * f
	case theme.SizeNameInputBorder:
		if k.contrast {
			return 4
		}
		return 2
	case theme.SizeNameInputRadius, theme.SizeNameButtonRadius:
		return 12
	case theme.SizeNameSeparatorThickness:
		return 2
	case theme.SizeNameScrollBar:
		return 24 // wide enough to drag with a finger
	case theme.SizeNameScrollBarSmall:
		return 12
	}
	return theme.DefaultTheme().Size(n)
}

var _ fyne.Theme = (*kioskTheme)(nil)
