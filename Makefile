# The two commands: `make run` and `make test` (SPEC §2). Each installs what is missing first.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
FUZZ_DIR  ?= build-fuzz
JOBS      ?= $(shell nproc)
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all bootstrap build run test test-asan fuzz bench format clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@test -f $(BUILD_DIR)/CMakeCache.txt || cmake -S . -B $(BUILD_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run

test: build
	scripts/test

bench: build
	@scripts/bootstrap --bench
	scripts/bench

fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

format:
	find src tests fuzz bench -name '*.[ch]pp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
