package printer

import (
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
)

// New returns the receipt printer the configuration names: the CUPS queue, else the
// PDF folder, else none (the session then shows "note your reference").
// config.Validate has already refused a folder in production and both set at once.
func New(c config.PrinterConfig, words Translator) kiosk.Printer {
	rd := Renderer{Words: words}
	switch {
	case c.Queue != "":
		return &CUPS{Queue: c.Queue, Timeout: c.Timeout, Renderer: rd}
	case c.Folder != "":
		return &PDFFile{Dir: c.Folder, Renderer: rd}
	default:
		return kiosk.NoPrinter{}
	}
}
