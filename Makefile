# quinte: `make run` starts everything on this machine, `make test` runs the tests.
GO      ?= go
BIN     := bin/quinte

# Build, test and scan with the toolchain go.mod names (fetched once from the Go module proxy when this
# machine's Go is older): older 1.26 releases have reachable standard-library vulnerabilities.
TOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)
ifneq ($(TOOLCHAIN),)
export GOTOOLCHAIN := $(TOOLCHAIN)
endif

.PHONY: run test bench fuzz build deps-run deps-test deps-bench vet fmt clean

run: deps-run build
	./$(BIN) run

test: deps-test
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

# BENCH picks benchmarks by name (`make bench BENCH=JobFloor`: the whole job against the encode floor).
BENCH ?= .
bench: deps-bench
	$(GO) test -count=1 -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 120m ./bench/...

# Every parser of untrusted bytes has a fuzz target (seeds under each package's testdata/fuzz); Go fuzzes
# one target per run, so each gets FUZZTIME in turn. What a run finds lands in testdata/fuzz/<target>/:
# fix it and commit the input as a seed.
FUZZTIME ?= 60s
FUZZ_TARGETS := \
	./uploader:FuzzSniff ./library:FuzzSlug ./library:FuzzTeamPath ./pipeline:FuzzProbe ./pipeline:FuzzPlanMedia \
	./pipeline/photo/anim:FuzzWebP ./pipeline/photo/anim:FuzzGIF ./pipeline/photo/heif:FuzzParse \
	./pipeline/photo:FuzzJPEGMeta ./pipeline/photo:FuzzPNGMeta ./pipeline/photo:FuzzEXIFOrientation ./pipeline/photo:FuzzY4M \
	./cmd/quinte:FuzzSafeFileName ./web:FuzzPickLanguage ./internal/httpapi:FuzzSessionCookie

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

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
