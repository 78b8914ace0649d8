# Hearth. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/hearth
HEARTH_TEST_CACHE ?= $(HOME)/.cache/hearth-test
export HEARTH_TEST_CACHE


GOTEST_FLAGS ?= -race -count=1 -timeout 30m

.PHONY: help build run test test-deps lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

build: ## build bin/hearth
	$(GO) build -o $(BIN) ./cmd/hearth

run: build ## run an instance (hearth.localhost:8080) on embedded defaults, beside a registry of sample apps (127.0.0.1:8081)
	./scripts/run

test-deps: ## install what the tests need (Go, Node.js, Redis, pouchdb-server) into the cache
	@./.ci/test-deps

test: test-deps lint ## install the test dependencies and run every test
	$(GO) test $(GOTEST_FLAGS) ./...

lint: ## gofmt, go vet and a tidy go.mod
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	@cp go.mod /tmp/hearth-go.mod.bak; cp go.sum /tmp/hearth-go.sum.bak; $(GO) mod tidy; \
	  if ! diff -q go.mod /tmp/hearth-go.mod.bak >/dev/null || ! diff -q go.sum /tmp/hearth-go.sum.bak >/dev/null; then \
	    echo "go mod tidy changed go.mod/go.sum: commit the tidy result"; exit 1; fi

bench: build test-deps bench-deps ## run the benchmarks and print the figures
	./bench/run

.PHONY: bench-deps
bench-deps: ## install what the app-serving benchmarks need (wrk, nginx) from Debian
	@./bench/deps

clean: ## remove build output (never the data directory)
	rm -rf bin
