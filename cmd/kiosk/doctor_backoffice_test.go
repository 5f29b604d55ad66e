package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/metrics"
)

// TestBackOfficeHealthCheck runs the doctor's back-office check against the reference
// back office (mutual TLS, as `kiosk run` reaches it), then with it stopped, and feeds
// each row to the metrics as the periodic health samples do.
func TestBackOfficeHealthCheck(t *testing.T) {
	ctx := context.Background()
	backOfficeUp := func(rows []doctorResult) (float64, bool) {
		mon := &monitor{metrics: metrics.New(metrics.BuildInfo{}, nil)}
		mon.health(time.Now(), rows)
		fams, err := mon.metrics.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != "kiosk_device_up" {
				continue
			}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "device" && l.GetValue() == metrics.DeviceBackOffice {
						return m.GetGauge().GetValue(), true
					}
				}
			}
		}
		return 0, false
	}

	rows := checkBackOffice(ctx, config.Default())
	if len(rows) != 1 || rows[0].Status != statusWarn || !strings.Contains(rows[0].Detail, "offline") {
		t.Fatalf("no backoffice.url: %+v", rows)
	}
	if _, known := backOfficeUp(rows); known {
		t.Error("an unconfigured back office must not be reported up or down")
	}

	bo, keyFile := refBackOffice(t)
	cfg := productionConfig(t, bo, keyFile, t.TempDir())
	rows = checkBackOffice(ctx, cfg)
	if len(rows) != 1 || rows[0].Status != statusOK || !strings.Contains(rows[0].Detail, "answers") {
		t.Fatalf("reference back office up: %+v", rows)
	}
	if up, known := backOfficeUp(rows); !known || up != 1 {
		t.Errorf("back office up: metric %v (known %t)", up, known)
	}

	bo.close()
	start := time.Now()
	rows = checkBackOffice(ctx, cfg)
	if len(rows) != 1 || rows[0].Status != statusFail || rows[0].Fix == "" {
		t.Fatalf("reference back office stopped: %+v", rows)
	}
	if took := time.Since(start); took > backOfficeProbeTimeout+2*time.Second {
		t.Errorf("the check took %v, more than its bound", took)
	}
	if up, known := backOfficeUp(rows); !known || up != 0 {
		t.Errorf("back office down: metric %v (known %t)", up, known)
	}
}
