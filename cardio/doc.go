// Package cardio reads and verifies the resident card (BIR) over PC/SC.
//
// Layers, each testable without a reader:
//   - tlv: BER-TLV parsing and encoding
//   - apdu: command/response APDUs, status words as typed errors, the Transceiver
//   - icao: BAC and secure messaging (terminal and chip roles)
//   - lds: LDS file reading, data group parsing, passive authentication
//   - this package: the BIR profile (DSI application, EF.CardInfo, PIN) and the
//     read orchestration over any Transceiver, and PCSCReader, the kiosk.CardReader
//     over github.com/ebfe/scard.
//
// The card profile is documented in docs/card-profile.md.
package cardio
