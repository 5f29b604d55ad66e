// Package profiles embeds the demo card profile so that `kiosk run --demo` and
// `kiosk card emulate` find it in an installed binary, away from any test folder.
package profiles

import "embed"

// FS holds demo.yaml, staff.yaml and their photos.
//
//go:embed demo.yaml demo.jpg staff.yaml staff.jpg
var FS embed.FS

// Demo is the name of the demo profile in FS; Staff the demo's DSI staff card
// (staff id S7001, its own PIN), which opens staff mode.
const (
	Demo  = "demo.yaml"
	Staff = "staff.yaml"
)
