// Package api embeds the back-office contract, so that the reference back office
// validates what it receives against the same document the contract tests use.
package api

import _ "embed"

// BackOfficeYAML is api/backoffice.yaml (OpenAPI 3.1).
//
//go:embed backoffice.yaml
var BackOfficeYAML []byte
