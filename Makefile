# The two commands of the README, and a few helpers. Everything installs its own dependencies.
#   make run    build (release) and start the studio
#   make test   build (ASan + UBSan) and run every test
#   make bench  build (release) and run the benchmarks, printing figures and their floor
#   make bench-capacity  sessions per machine with real Blender (long; not part of `make bench`)
#   make fuzz   build the parsers' libFuzzer targets (clang) and run each FUZZ_SECONDS (default 60)
#   make install  build (release) and install into $(DESTDIR)$(PREFIX) (scripts/install.sh)
#   make test-blender-versions  the Blender engine's tests with Debian trixie's and sid's Blender
SHELL := /bin/bash
JOBS ?= $(shell nproc)
ARGS ?=
# The studio's default configuration: the engine kinds (Blender, pool 1). `make run CONFIG=my.toml`.
CONFIG ?= config/atelier.toml
# Seconds per fuzz target: `make fuzz` runs longer; `make test` runs each target briefly.
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 10
# Fuzz targets run at once (one per core by default).
FUZZ_JOBS ?= $(JOBS)
# `make install`: bin/atelier and share/atelier/{web,engines,config} under $(DESTDIR)$(PREFIX).
PREFIX ?= /usr/local
DESTDIR ?=
# `make test-blender-versions BLENDER_SUITES="trixie"`: the Debian suites whose Blender is tested.
BLENDER_SUITES ?= trixie sid

# Minutes of `make soak` (bench/soak.cpp; not part of `make test`).
SOAK_MINUTES ?= 10

.PHONY: run test bench bench-capacity fuzz soak build-release build-asan format-check format clean install test-blender-versions

run: build-release
	@scripts/deps.sh run
	@scripts/web.sh build
	./build/release/atelier serve --config $(CONFIG) $(ARGS)

test:
	@scripts/deps.sh test
	$(MAKE) --no-print-directory format-check
	@scripts/web.sh build
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j$(JOBS)
	ctest --preset asan -j$(JOBS)
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_TEST_SECONDS)

bench: build-release
	bench/run_all.sh

# How many live Blender sessions this machine holds: memory, idle CPU, and when commands slow down
# (bench/blender_capacity.py; CAPACITY_LEVELS="1,2,4,8" picks the numbers of sessions).
CAPACITY_LEVELS ?= 1,2,4,8,12,16,32,64
bench-capacity: build-release
	@scripts/deps.sh test
	/usr/bin/python3 bench/blender_capacity.py --binary build/release/atelier --levels $(CAPACITY_LEVELS)

# A crash, leak or broken property in any target fails the run (and so `make test`).
fuzz:
	@scripts/deps.sh fuzz
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j$(JOBS)
	FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# The soak: the release hub under sessions, commands, agent turns (fake model), restores, uploads,
# reconnects and periodic engine kills for SOAK_MINUTES; prints RSS and descriptors over time and fails on errors, a lost version or growth.
soak: build-release
	SOAK_MINUTES=$(SOAK_MINUTES) build/release/bench/soak --hub build/release/atelier

build-release:
	@scripts/deps.sh build
	cmake --preset release >/dev/null
	cmake --build --preset release -j$(JOBS)

SOURCES = $(shell git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'bench/*.h' 2>/dev/null)

format-check:
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: ok"
	@scripts/spdx.sh --check

format:
	clang-format -i $(SOURCES)

clean:
	rm -rf build

# The hub, the built web app and the engines with their runtime dependencies (the Remotion engine's
# dist/ and node_modules); the installed binary finds them from its own path, no config needed.
install: build-release
	@scripts/web.sh build
	@engines/remotion/scripts/engine.sh setup
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install.sh build/release/atelier

# Not part of `make test`: the first run downloads ~1 GB into ~/.cache/atelier/roots (docs/blender.md).
test-blender-versions:
	@scripts/deps.sh blender-versions
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j$(JOBS) --target atelier
	scripts/blender_versions.sh $(BLENDER_SUITES)
