# Quick start: `make demo` runs the quickstart example against a local
# 3-master cluster it starts itself; `make test` runs the whole test suite
# against real redis-server processes, then each fuzz target for a few
# seconds (`make fuzz-short` alone). Both install what they need first.
# `make soak` (not part of test or CI) runs the soak test for SOAK_DURATION
# (default 10m; SOAK_DURATION=1m for a smoke run), SOAK_FLAGS=-race to add
# the race detector.

GO ?= go
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SOAK_DURATION ?= 10m
SOAK_FLAGS ?=

.PHONY: demo test fuzz-short soak deps

demo: deps
	$(GO) run ./examples/quickstart

test: deps
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...
	cd examples/metrics && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory fuzz-short

# fuzz-short runs every fuzz target for FUZZTIME (10s) after its seed
# corpus: about two minutes in all. See .ci/fuzz.
fuzz-short:
	GO=$(GO) ./.ci/fuzz

soak: deps
	$(GO) vet -tags soak ./internal/soak
	$(GO) test -tags soak $(SOAK_FLAGS) -run '^TestSoak$$' -count=1 -v -timeout 0 ./internal/soak -soak.duration=$(SOAK_DURATION)

# deps installs redis-server (the tests and the demo start real clusters) and
# a C compiler (go test -race needs cgo) when they are missing.
deps:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v gcc >/dev/null 2>&1 || missing="$$missing gcc libc6-dev"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@redis-server --version
