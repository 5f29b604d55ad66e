// Package assets embeds the files the kiosk ships with: the CJK fonts and the
// translation files. Embedding means a kiosk, a CI runner or a demo laptop renders
// 中文 and finds every string without anything installed beside the binary.
package assets

import (
	"embed"
	"io/fs"
)

// CJKFontName is the file name of the bundled CJK font (Droid Sans Fallback, Apache-2.0;
// see fonts/PROVENANCE.md). Fyne needs a single .ttf, not a .ttc collection.
const CJKFontName = "DroidSansFallbackFull.ttf"

//go:embed fonts/DroidSansFallbackFull.ttf
var cjkFont []byte

// ChineseFontName is the bundled font of Chinese sessions (WenQuanYi Micro Hei, Apache-2.0
// or GPL-3+ with the font exception; see fonts/PROVENANCE.md): Chinese, Latin and digits
// drawn as one family, so "18 歲" and "剩餘45秒" have digits of the Chinese weight.
const ChineseFontName = "wqy-microhei.ttf"

//go:embed fonts/wqy-microhei.ttf
var chineseFont []byte

//go:embed i18n/*.json
var i18nFS embed.FS

// CJKFont returns the bundled CJK font. The slice is shared: do not modify it.
func CJKFont() []byte { return cjkFont }

// ChineseFont returns the bundled font of Chinese sessions. The slice is shared: do
// not modify it.
func ChineseFont() []byte { return chineseFont }

// Translations returns the translation files, one per language, named <language>.json
// (zh-Hant.json, pt.json, en.json) at the root of the returned file system.
func Translations() fs.FS {
	sub, err := fs.Sub(i18nFS, "i18n")
	if err != nil {
		// fs.Sub only fails on an invalid path, and "i18n" is a constant.
		panic("assets: " + err.Error())
	}
	return sub
}
