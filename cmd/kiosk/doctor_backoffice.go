package main

import (
	"context"
	"fmt"
	"time"

	"github.com/macau-dsi/kiosk/config"
)

func init() { registerDoctorCheck(75, true, checkBackOffice) }

// backOfficeProbeTimeout bounds the health call; a back office slower than this is
// as good as down for a resident waiting at the screen.
const backOfficeProbeTimeout = 5 * time.Second

// checkBackOffice asks the back office's /v1/health over the kiosk's own link (the
// same wiring as `kiosk run`: mutual TLS with the configured certificates). Safe
// beside the running kiosk, so the periodic health samples run it too and the
// metrics' back-office state follows it even when no resident is at the kiosk.
func checkBackOffice(ctx context.Context, cfg config.Config) []doctorResult {
	r := doctorResult{Check: "back office", Status: statusOK}
	if cfg.BackOffice.URL == "" {
		r.Status, r.Detail = statusWarn, "no backoffice.url: the kiosk works offline and applications wait in the outbox"
		r.Fix = "set backoffice.url, cert_file, key_file and ca_file"
		return []doctorResult{r}
	}
	link, err := wireBackOffice(cfg, nil)
	if err != nil {
		r.Status, r.Detail, r.Fix = statusFail, err.Error(), "fix the backoffice section of the configuration"
		return []doctorResult{r}
	}
	defer link.close()
	ctx, cancel := context.WithTimeout(ctx, backOfficeProbeTimeout)
	defer cancel()
	start := time.Now()
	if err := link.client.Health(ctx); err != nil {
		r.Status, r.Detail = statusFail, err.Error()
		r.Fix = "check the network to " + cfg.BackOffice.URL + " and the kiosk's certificate (kiosk doctor on the kiosk)"
		return []doctorResult{r}
	}
	r.Detail = fmt.Sprintf("%s answers (%d ms)", cfg.BackOffice.URL, time.Since(start).Milliseconds())
	return []doctorResult{r}
}
