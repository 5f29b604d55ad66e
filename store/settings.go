package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/macau-dsi/kiosk/kiosk"
)

// SettingMaintenance is "on" while staff hold the kiosk out of service.
const SettingMaintenance = "maintenance"

// SetSetting stores a setting and audits who changed it, in one transaction: the
// audit never says maintenance was turned on when the change itself failed.
func (d *DB) SetSetting(ctx context.Context, key, value, actor string) error {
	return d.inTx(ctx, "setting "+key, func(tx *sql.Tx) error {
		if err := d.appendAudit(ctx, tx, kiosk.AuditEvent{Actor: actor, Action: "setting.change", Subject: key, Detail: value}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			key, value, d.now(), actor)
		if err != nil {
			return fmt.Errorf("setting %s: %w", key, classify(err))
		}
		return nil
	})
}

// Setting reads a setting; ok is false when it was never set.
func (d *DB) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, classify(err))
	}
	return value, true, nil
}

// Maintenance reports whether staff put the kiosk out of service.
func (d *DB) Maintenance(ctx context.Context) (bool, error) {
	v, _, err := d.Setting(ctx, SettingMaintenance)
	return v == "on", err
}
