# quinte: `make run` starts everything on this machine, `make test` runs the tests.
GO      ?= go
BIN     := bin/quinte

# Build, test and scan with the toolchain go.mod names (fetched once from the Go module proxy when this
# machine's Go is older): older 1.26 releases have reachable standard-library vulnerabilities.
TOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)
ifneq ($(TOOLCHAIN),)
export GOTOOLCHAIN := $(TOOLCHAIN)
endif

.PHONY: run test bench build deps-run deps-test deps-bench vet fmt clean

run: deps-run build
	./$(BIN) run

test: deps-test
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

bench: deps-bench
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x -timeout 60m ./bench/...

build:
	$(GO) build -o $(BIN) ./cmd/quinte

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

deps-bench:
	@scripts/deps.sh bench

fmt:
	gofmt -w .

clean:
	rm -rf bin data
