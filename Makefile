# DSI self-service kiosk. Two commands do everything on a fresh Debian 12 machine:
#   make demo   run the kiosk with no hardware (emulated card, recorded camera)
#   make test   run every test
# Both install what they need first (packaging/setup-debian.sh, Go modules, face
# models with SHA-256 checks) and are safe to repeat.

SHELL := /bin/bash
GO ?= go
BIN := bin/kiosk
export KIOSK_MODELS_DIR ?= $(HOME)/.cache/dsi-kiosk/models
# Every test binary gets 20 minutes; CI's whole budget is 90.
TEST_FLAGS ?= -count=1 -timeout 20m
# Packages without cgo-heavy dependencies also run under the race detector.
RACE_PKGS ?= ./kiosk/... ./config/... ./store/... ./cardio/...

.PHONY: all setup deps models build run demo test test-race bench lint eval-face screenshots doctor package package-install-test clean fuzz

all: build

setup: deps models

deps:
	@bash packaging/setup-debian.sh
	@$(GO) mod download

models:
	@bash packaging/fetch-models.sh "$(KIOSK_MODELS_DIR)"

build: deps
	$(GO) build -o $(BIN) ./cmd/kiosk
	$(GO) build -o bin/kiosk-backoffice ./cmd/kiosk-backoffice

run: setup build
	$(BIN) run

# The demo starts bin/kiosk-backoffice (the reference back office) itself.
demo: setup build
	KIOSK_KIOSK_MODE=demo $(BIN) run --demo --windowed

test: setup
	$(GO) vet ./...
	$(GO) test $(TEST_FLAGS) ./...
	$(GO) test $(TEST_FLAGS) -race $(RACE_PKGS)

# cmd/kiosk's BenchmarkDemoProcessRSS plays 100 demo sessions in a real kiosk process
# (~6 min, more on a busy machine or while it waits for pcscd): too close to go
# test's default 10-minute limit per test binary.
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20x -timeout 30m ./... | tee bench.out

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

eval-face: setup build
	$(BIN) face eval --json=false --report docs/face-eval.md

screenshots: setup
	bash packaging/screenshots.sh

doctor: build
	$(BIN) doctor

# Every fuzz target over outside input for FUZZTIME seconds each (CI runs it after test).
fuzz: deps
	@bash packaging/fuzz.sh $(FUZZTIME)

# dist/dsi-kiosk_VERSION_amd64.deb; package-install-test installs it into a throwaway
# Debian 12 root (debootstrap, a few minutes, root) and runs kiosk doctor there.
package: deps build
	bash packaging/build-deb.sh --binary $(BIN)

package-install-test: package
	DSI_KIOSK_INSTALL_TEST=1 $(GO) test -count=1 -timeout 30m -run TestInstallInDebianRoot -v ./packaging/

clean:
	rm -rf bin bench.out dist
