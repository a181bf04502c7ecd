# The two commands of the README, and a few helpers. Everything installs its own dependencies.
#   make run    build (release) and start the studio
#   make test   build (ASan + UBSan) and run every test
#   make bench  build (release) and run the benchmarks, printing figures and their floor
SHELL := /bin/bash
JOBS ?= $(shell nproc)
ARGS ?=
# The studio's default configuration: the engine kinds (Blender, pool 1). `make run CONFIG=my.toml`.
CONFIG ?= config/atelier.toml

.PHONY: run test bench build-release build-asan format-check format clean

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

bench: build-release
	bench/run_all.sh

build-release:
	@scripts/deps.sh build
	cmake --preset release >/dev/null
	cmake --build --preset release -j$(JOBS)

SOURCES = $(shell git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'bench/*.h' 2>/dev/null)

format-check:
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: ok"

format:
	clang-format -i $(SOURCES)

clean:
	rm -rf build
