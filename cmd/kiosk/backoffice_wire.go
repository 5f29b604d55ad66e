package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/payterm"
)

// backOfficeLink is the back office and the payments, as configured.
type backOfficeLink struct {
	bo       kiosk.BackOffice
	pay      kiosk.Payments
	client   *backoffice.Client   // nil without backoffice.url
	terminal *payterm.Simulated   // the simulated card terminal, nil without one
	payments *backoffice.Payments // nil without a way to pay
	close    func()
}

// wireBackOffice builds the back-office client (mutual TLS, a timeout on every call,
// this kiosk's id) and the payments over it: the wallet QR and, if configured, the
// card terminal. Without backoffice.url the kiosk works offline and takes no money.
func wireBackOffice(cfg config.Config, onError func(error)) (backOfficeLink, error) {
	link := backOfficeLink{bo: unreachableBackOffice{}, pay: kiosk.NoPayments{}, close: func() {}}
	b := cfg.BackOffice
	if b.URL == "" {
		if cfg.Payment.Terminal != config.TerminalNone {
			return link, errors.New("payment.terminal needs backoffice.url: the back office must learn of every card payment")
		}
		return link, nil
	}
	c, err := backoffice.New(backoffice.Options{
		BaseURL: b.URL, CertFile: b.CertFile, KeyFile: b.KeyFile, CAFile: b.CAFile,
		KioskID: cfg.Kiosk.ID, Timeout: b.Timeout, Logger: slog.Default(),
	})
	if err != nil {
		return link, fmt.Errorf("%w (check the backoffice section of the configuration)", err)
	}
	link.bo, link.client = c, c
	link.close = c.Close
	opts := backoffice.PaymentsOptions{QR: cfg.Payment.QR, OnError: onError}
	switch cfg.Payment.Terminal {
	case config.TerminalNone:
	case config.TerminalSimulated:
		// config refuses it in production already; checked again here because this
		// is where a terminal that takes no money would be wired.
		if cfg.Kiosk.Mode == config.ModeProduction {
			return link, errors.New("payment.terminal simulated is refused in production")
		}
		link.terminal = payterm.NewSimulated(cfg.Payment.TerminalID, cfg.Payment.TerminalTimeout)
		opts.Terminal = link.terminal
	default:
		return link, fmt.Errorf("payment.terminal %q: no such terminal", cfg.Payment.Terminal)
	}
	if opts.QR || opts.Terminal != nil {
		link.payments = backoffice.NewPayments(c, opts)
		link.pay = link.payments
		link.close = func() { link.payments.Close(); c.Close() }
	}
	return link, nil
}

// Settling what a crash left held: at start-up and every settleEvery, applications
// held for longer than a payment try can last (the session's PaymentTimeout) plus
// settleMargin are decided from their order (paid: sent; otherwise dropped), and so is
// every application held before this process started: a payment try lives in the
// session that started it, so one from before the start died with its process.
const (
	settleEvery  = 3 * time.Minute
	settleMargin = 2 * time.Minute
)

// settleCutoff is the creation time before which a held application is settled at
// now, by a process that started at started: anything older than a live payment try
// can be, and anything older than this process.
func settleCutoff(started, now time.Time) time.Time {
	live := now.Add(-(paymentTimeout + settleMargin))
	if started.After(live) {
		return started
	}
	return live
}

// paymentTimeout bounds one payment try in the session (kiosk.MachineConfig's
// PaymentTimeout, set by newMachine); the settling cut-off is older than any live try.
const paymentTimeout = 5 * time.Minute

// settleHeld runs kiosk.SettleHeld now and every settleEvery until ctx ends, for a
// process that started at started; after settling any, it runs deliver (an outbox
// round), so that a paid application a crash held reaches the back office at once.
func settleHeld(ctx context.Context, store kiosk.Store, pay kiosk.Payments, clock kiosk.Clock, started time.Time, deliver func(context.Context), onError func(error)) {
	t := time.NewTicker(settleEvery)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		n, err := kiosk.SettleHeld(sctx, store, pay, clock, settleCutoff(started, clock.Now()))
		if n > 0 {
			slog.Info("settled held applications", "count", n)
			deliver(sctx)
		}
		cancel()
		if err != nil && ctx.Err() == nil {
			onError(fmt.Errorf("settling held applications: %w", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
