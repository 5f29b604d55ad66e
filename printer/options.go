package printer

import (
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Options choose where receipts go. printer does not read the configuration:
// cmd/kiosk fills Options from its printer section.
type Options struct {
	// Queue is the CUPS queue (lp -d QUEUE); empty means no printer.
	Queue string
	// Folder receives receipts as PDF files instead (demo and testers).
	Folder string
	// Timeout bounds one print job (queue check plus lp).
	Timeout time.Duration
}

// New returns the receipt printer the options name: the CUPS queue, else the PDF
// folder, else none (the session then shows "note your reference"). The
// configuration has already refused a folder in production and both set at once.
func New(o Options, words Translator) kiosk.Printer {
	rd := Renderer{Words: words}
	switch {
	case o.Queue != "":
		return &CUPS{Queue: o.Queue, Timeout: o.Timeout, Renderer: rd}
	case o.Folder != "":
		return &PDFFile{Dir: o.Folder, Renderer: rd}
	default:
		return kiosk.NoPrinter{}
	}
}
