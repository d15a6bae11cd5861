# Yagura — the two commands of the README are `make run` and `make test`.

GO ?= go
BIN := bin/yagura

.PHONY: run test build deps vet bench clean browser-test

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
