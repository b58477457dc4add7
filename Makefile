# Postern: a thin wrapper over Meson. The targets install what is missing first.
#   make run    build and start the relay in the foreground on ./var/
#   make test   build with ASan+UBSan and run every unit and integration test
#   make bench  run the benchmarks (see docs/BENCHMARKS.md)
#   make fuzz   run each libFuzzer harness briefly
#   make crashtest  kill -9 the relay 100 times under load, and the power-loss control

BUILD      ?= build
TESTBUILD  ?= build-test
FUZZBUILD  ?= build-fuzz
PYTHON     ?= /usr/bin/python3
FUZZ_SECONDS ?= 20
FUZZ_JOBS    ?= 1
CRASH_KILLS  ?= 100
TEST_JOBS    ?= 3

.PHONY: all build run test unit integration format-check bench fuzz fuzz-coverage crashtest clean

all: build

build:
	@scripts/deps.sh build
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true
	@ninja -C $(BUILD) posternd posternctl

run: build
	@scripts/run.sh $(BUILD) var

$(TESTBUILD)/build.ninja:
	meson setup $(TESTBUILD) --buildtype=debug -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dsanitized=true

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	@[ -d tests/console/node_modules/playwright-core ] || \
		(cd tests/console && npm ci --no-audit --no-fund --loglevel=error)
	@$(MAKE) --no-print-directory format-check
	meson test -C $(TESTBUILD) --print-errorlogs
	POSTERN_BUILD=$(CURDIR)/$(TESTBUILD) $(PYTHON) -m pytest -q -p no:cacheprovider \
		-n $(TEST_JOBS) tests/integration

format-check:
	@files=$$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]'); \
	if command -v clang-format >/dev/null 2>&1; then \
		clang-format --dry-run -Werror $$files && echo "format: ok"; \
	else echo "format: clang-format missing" >&2; exit 1; fi

bench: build
	@scripts/deps.sh bench
	@ninja -C $(BUILD) bench/dkim_bench bench/loadgen bench/tsink bench/dlp_bench bench/supp_bench >/dev/null
	@$(PYTHON) bench/bench.py $(BUILD)

fuzz:
	@scripts/deps.sh fuzz
	@[ -f $(FUZZBUILD)/build.ninja ] || CC=clang meson setup $(FUZZBUILD) --buildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true \
		-Dc_args=-fsanitize=fuzzer-no-link
	ninja -C $(FUZZBUILD)
	@tests/fuzz/run.sh $(FUZZBUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

# line coverage of each parser by its corpus (FUZZ_LOGS: the corpora make fuzz grew)
fuzz-coverage:
	@scripts/deps.sh fuzz
	@tests/fuzz/coverage.sh $(FUZZ_LOGS)

crashtest:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD) posternd posternctl
	POSTERN_BUILD=$(CURDIR)/$(TESTBUILD) $(PYTHON) tests/integration/crash.py \
		--kills $(CRASH_KILLS) --power-loss

clean:
	rm -rf $(BUILD) $(TESTBUILD) $(FUZZBUILD)
