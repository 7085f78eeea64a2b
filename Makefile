# edgeagent — run `make` for the list of targets.
.DEFAULT_GOAL := help
.PHONY: help build run demo test test-go fuzz lint tidy-check bench cross deps clean release deb test-arm64 test-vm screenshots firmware test-firmware

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(BIN)/staticcheck-$(STATICCHECK_VERSION)
RUN_DIR   := .run
DIST      ?= dist
# Static (no cgo: no libc to match on the hub), reproducible paths, stripped.
RELEASE_BUILD := CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '$(LDFLAGS)'

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/edgeagent for this machine
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/edgeagent ./cmd/edgeagent

run: build ## run the agent with the example config, simulated devices, data in .run/ (more flags: ARGS='--listen 127.0.0.1:8443')
	@mkdir -p $(RUN_DIR)
	@echo "admin socket: $(RUN_DIR)/data/admin.sock  (try: $(BIN)/edgeagent device list --data-dir $(RUN_DIR)/data)"
	$(BIN)/edgeagent run --config deploy/rpi/edgeagent.example.toml --sim --data-dir $(RUN_DIR)/data $(ARGS)

demo: build ## the offline story in one command: a simulated home, its cloud, the web app (edgeagent demo)
	$(BIN)/edgeagent demo $(ARGS)

deps: ## install the system packages the tests need (apt-get, as root)
	@scripts/system-deps.sh

test: deps lint tidy-check test-go test-arm64 test-vm test-firmware fuzz ## everything CI checks: packages, lint, go mod tidy, tests, the VM test, the node firmware, brief fuzzing

test-go: ## the Go tests (race detector on the concurrent packages); the node firmware's qemu tests run in test-firmware
	$(GO) test -count=1 -skip QEMU ./...
	$(GO) test -count=1 -race -skip QEMU ./internal/devices/... ./internal/nodelink/... ./internal/store/... ./internal/secstate/... ./internal/hlc/... ./internal/liveness/... ./internal/localauth/... ./internal/localapi/... ./internal/sync/... ./internal/homekit/... ./cmd/...
	cd third_party/github.com/brutella/hap && $(GO) test -count=1 -race ./...
	cd third_party/github.com/brutella/dnssd && $(GO) test -count=1 -race ./...
	# mochi: the packages our patches touch whose upstream tests do not
	# synchronise by sleeping (the root package's and listeners' do, in 57
	# places, and flake under load: third_party/README.md, mochi entry 3).
	cd third_party/github.com/mochi-mqtt/server && $(GO) test -count=1 -race ./packets/... ./mempool/... ./system/... ./hooks/... && \
		$(GO) test -count=1 -race -run '^TestClientParseConnect' .

fuzz: ## every fuzz target briefly (FUZZTIME=10m for longer)
	scripts/fuzz.sh

lint: $(STATICCHECK) ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

$(STATICCHECK):
	@mkdir -p $(BIN)
	GOBIN=$(CURDIR)/$(BIN)/tmp-staticcheck $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(BIN)/tmp-staticcheck/staticcheck $@ && rmdir $(BIN)/tmp-staticcheck

tidy-check: ## fail when go.mod/go.sum are not tidy
	@cp go.mod /tmp/edgeagent-go.mod.bak && cp go.sum /tmp/edgeagent-go.sum.bak
	@$(GO) mod tidy
	@if ! cmp -s go.mod /tmp/edgeagent-go.mod.bak || ! cmp -s go.sum /tmp/edgeagent-go.sum.bak; then \
		echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit"; \
		cp /tmp/edgeagent-go.mod.bak go.mod; cp /tmp/edgeagent-go.sum.bak go.sum; exit 1; fi

bench: ## run the benchmarks and write docs/benchmarks.md
	scripts/bench.sh

cross: ## static binaries for linux/arm64 and linux/arm (v7)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/edgeagent-linux-arm64 ./cmd/edgeagent
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/edgeagent-linux-armv7 ./cmd/edgeagent

clean: ## remove build output and the local run data
	rm -rf $(BIN) $(RUN_DIR) $(DIST)

release: ## static stripped binaries for linux arm64, armv7, armv6 (Pi Zero), amd64 in dist/, with SHA256SUMS
	@mkdir -p $(DIST)
	GOARCH=arm64 $(RELEASE_BUILD) -o $(DIST)/edgeagent-linux-arm64 ./cmd/edgeagent
	GOARCH=arm GOARM=7 $(RELEASE_BUILD) -o $(DIST)/edgeagent-linux-armv7 ./cmd/edgeagent
	GOARCH=arm GOARM=6 $(RELEASE_BUILD) -o $(DIST)/edgeagent-linux-armv6 ./cmd/edgeagent
	GOARCH=amd64 $(RELEASE_BUILD) -o $(DIST)/edgeagent-linux-amd64 ./cmd/edgeagent
	cd $(DIST) && sha256sum edgeagent-linux-* > SHA256SUMS

deb: release ## Debian packages for arm64, armhf (ARMv7), amd64 in dist/ (dpkg-deb), added to SHA256SUMS
	rm -f $(DIST)/edgeagent_*.deb
	deploy/rpi/build-deb.sh arm64 $(DIST)/edgeagent-linux-arm64 '$(VERSION)' $(DIST)
	deploy/rpi/build-deb.sh armhf $(DIST)/edgeagent-linux-armv7 '$(VERSION)' $(DIST)
	deploy/rpi/build-deb.sh amd64 $(DIST)/edgeagent-linux-amd64 '$(VERSION)' $(DIST)
	cd $(DIST) && sha256sum edgeagent-linux-* edgeagent_*.deb > SHA256SUMS

test-arm64: ## the devices, store and localauth tests and the agent binary, built for arm64, under qemu
	scripts/test-arm64.sh

test-vm: ## arm64 kernel in qemu: the agent on a gpio-sim chip, power cuts at every flush point, network faults (scripts/vm)
	scripts/vm/test.sh

firmware: ## the node firmware: qemu and Blue Pill images (lock and boiler), the host test binary (firmware/build)
	$(MAKE) -C firmware all

test-firmware: ## the node's host tests, then its qemu image driven by the Go side of the link (internal/nodelink)
	scripts/test-firmware.sh

screenshots: ## real Chromium screenshots of the web app (login, devices online and offline) into docs/img/
	GO=$(GO) scripts/screenshots.sh
