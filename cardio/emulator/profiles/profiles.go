// Package profiles embeds the demo card profile so that `kiosk run --demo` and
// `kiosk card emulate` find it in an installed binary, away from any test folder.
package profiles

import "embed"

// FS holds demo.yaml and its photo.
//
//go:embed demo.yaml demo.jpg
var FS embed.FS

// Demo is the name of the demo profile in FS.
const Demo = "demo.yaml"
