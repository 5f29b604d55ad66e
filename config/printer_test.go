package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPrinterSection(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		env  []string
		want PrinterConfig
		bad  []string // "key: words in Allowed", one per expected Problem
	}{
		{name: "default: no printer", want: PrinterConfig{Timeout: 10 * time.Second}},
		{name: "queue", yaml: "printer:\n  queue: TM-T88VI\n  timeout: 5s\n", want: PrinterConfig{Queue: "TM-T88VI", Timeout: 5 * time.Second}},
		{name: "queue from env", env: []string{"KIOSK_PRINTER_QUEUE=receipt", "KIOSK_PRINTER_TIMEOUT=20s"}, want: PrinterConfig{Queue: "receipt", Timeout: 20 * time.Second}},
		{name: "folder in demo", yaml: "kiosk:\n  mode: demo\nprinter:\n  folder: /tmp/receipts\n", want: PrinterConfig{Folder: "/tmp/receipts", Timeout: 10 * time.Second}},
		{name: "folder in production", yaml: "printer:\n  folder: /tmp/receipts\n", bad: []string{"printer.folder: production"}},
		{name: "folder and queue", yaml: "kiosk:\n  mode: demo\nprinter:\n  queue: receipt\n  folder: /tmp/receipts\n", bad: []string{"printer.folder: not both"}},
		{name: "relative folder", yaml: "kiosk:\n  mode: development\nprinter:\n  folder: receipts\n", bad: []string{"printer.folder: absolute"}},
		{name: "every key bad, one line each", yaml: "printer:\n  queue: my printer\n  folder: rel/dir\n  timeout: 0s\n",
			bad: []string{"printer.folder: absolute", "printer.queue: CUPS queue name", "printer.timeout: between 1s and 2m"}},
		{name: "queue with slash", yaml: "printer:\n  queue: a/b\n", bad: []string{"printer.queue: CUPS queue name"}},
		{name: "queue like an option", yaml: "printer:\n  queue: -o\n", bad: []string{"printer.queue: CUPS queue name"}},
		{name: "queue too long", yaml: "printer:\n  queue: " + strings.Repeat("q", 128) + "\n", bad: []string{"printer.queue: CUPS queue name"}},
		{name: "timeout too long", yaml: "printer:\n  timeout: 5m\n", bad: []string{"printer.timeout: between 1s and 2m"}},
		{name: "timeout not a duration", yaml: "printer:\n  timeout: soon\n", bad: []string{"printer.timeout: duration"}},
		{name: "typo", yaml: "printer:\n  queu: receipt\n", bad: []string{"printer.queu: did you mean printer.queue"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := ""
			if tc.yaml != "" {
				file = writeFile(t, tc.yaml)
			}
			cfg, _, err := load(file, "/nonexistent", tc.env)
			if len(tc.bad) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Printer != tc.want {
					t.Errorf("printer = %+v, want %+v", cfg.Printer, tc.want)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("got %v, want Problems", err)
			}
			if len(ps) != len(tc.bad) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(tc.bad), ps)
			}
			for i, want := range tc.bad {
				key, words, _ := strings.Cut(want, ": ")
				if ps[i].Key != key || !strings.Contains(ps[i].Allowed, words) {
					t.Errorf("problem %d = %v, want key %s saying %q", i, ps[i], key, words)
				}
			}
		})
	}
}
