# Yagura — the two commands of the README are `make run` and `make test`.

GO ?= go
BIN := bin/yagura

.PHONY: run test build deps vet bench clean browser-test agent agent-cross

## run: build and start Yagura on the embedded stores with demo traffic
run: build
	./$(BIN) serve --demo

## test: install what the tests need, then vet and run every test,
## the browser tests included
test: deps vet
	$(GO) test -timeout 30m ./...
	$(MAKE) browser-test

## browser-test: the console in Debian's Chromium, driven by playwright-core
browser-test: build
	cd tests/browser && npm ci --no-audit --no-fund --silent && npm test

build:
	$(GO) build -o $(BIN) ./cmd/yagura

## agent: the host agent for this machine (bin/yagura-agent)
agent:
	CGO_ENABLED=0 $(GO) build -o bin/yagura-agent ./cmd/yagura-agent

## agent-cross: the host agent for linux/amd64, linux/arm64, windows/amd64
agent-cross:
	for t in linux/amd64 linux/arm64 windows/amd64; do \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o bin/yagura-agent-$${t%/*}-$${t#*/} ./cmd/yagura-agent || exit 1; \
	done

## deps: Debian packages the real-client tests use (only what is missing)
deps:
	./scripts/install-deps.sh

vet:
	$(GO) vet ./...

## bench: the ingest benchmark (see docs/performance.md)
bench:
	./bench/ingest.sh

clean:
	rm -rf bin
