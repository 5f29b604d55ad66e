#!/usr/bin/env bash
# Runs every fuzz target over outside input for a short time (CI: after make test).
# Usage: packaging/fuzz.sh [seconds per target, default 4]
# Each target: go test -run '^$' -fuzz '^Target$' -fuzztime Ns; a crash fails the run
# and go test writes the input to the package's testdata/fuzz/Target/ (commit it with
# the fix: it then runs as a regression test in every `go test`).
# The whole run stays under 3 minutes on two cores: 16 targets of 4 s, plus building
# the instrumented test binaries (facematch's cgo takes about a minute the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-${FUZZTIME:-4}}"
GO="${GO:-go}"

# package target — every parser of data from outside the kiosk process.
TARGETS=(
  "./config FuzzLoad"                    # kiosk.yaml and KIOSK_* environment
  "./cardio/tlv FuzzParseTree"           # BER-TLV of every chip answer
  "./cardio/tlv FuzzParseAllReencode"
  "./cardio/icao FuzzUnwrap"             # secure messaging responses
  "./cardio/icao FuzzParseCardAccess"    # EF.CardAccess (read before any secure channel)
  "./cardio/lds FuzzParsers"             # every data group parser on the same bytes
  "./cardio/lds FuzzCOM"                 # EF.COM
  "./cardio/lds FuzzDG1"                 # MRZ
  "./cardio/lds FuzzDG2"                 # face image template
  "./cardio/lds FuzzDG11"                # personal details
  "./cardio/lds FuzzDG12"                # document details, residency
  "./cardio/lds FuzzSOD"                 # EF.SOD CMS and passive authentication
  "./cardio/lds FuzzATR"                 # ATR historical bytes, EF.ATR/INFO
  "./backoffice FuzzReplies"             # back-office answers: resident, payment order, problem+json
  "./facematch FuzzInspectImage"         # chip photo header checks before OpenCV
  "./facematch FuzzQRDecode"             # camera frames before the QR detector (eID start)
)

start=$(date +%s)
failed=0
for t in "${TARGETS[@]}"; do
  read -r pkg name <<<"$t"
  t0=$(date +%s)
  log=$(mktemp)
  if "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" -fuzzminimizetime 1s "$pkg" >"$log" 2>&1; then
    status=ok
  elif grep -qx '    context deadline exceeded' "$log" && ! grep -q 'Failing input written to\|seed corpus\|panic:' "$log"; then
    # Go 1.26's fuzz coordinator can report its own -fuzztime deadline as a failure
    # when a worker is slow to stop (loaded machine, slow target): go.dev/issue/75804,
    # fixed in Go 1.27. No input failed, nothing was written: not a finding.
    status=ok
    echo "fuzz: $name: go.dev/issue/75804 deadline race at the end of the run (no failing input); counted as passed"
  else
    status=FAIL
    failed=1
    cat "$log"
  fi
  # The last progress line has the total: "fuzz: elapsed: 4s, execs: 123456 (...)".
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  rm -f "$log"
  line=$(printf '%-4s %-16s %-22s %10s execs  %3ss' "$status" "$pkg" "$name" "${execs:-?}" "$(( $(date +%s) - t0 ))")
  echo "fuzz: $line"
done
echo "fuzz: ${#TARGETS[@]} targets, ${secs}s each, $(( $(date +%s) - start ))s in all"
exit "$failed"
