// Package kiosk is the domain of the DSI self-service kiosk: the resident's session,
// the three services and their rules, the errors shown to residents, and the ports
// (interfaces) to every device and store.
//
// It imports the standard library only. Adapters live beside it (cardio/, facematch/,
// store/, app/) and do not know each other; cmd/kiosk wires them together.
package kiosk
