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

# The Debian packages first (the compilers); the npm packages (mostly waiting on the registry) are
# installed while the C++ code compiles.
build:
	@scripts/bootstrap --system
	@test -f $(BUILD_DIR)/CMakeCache.txt || cmake -S . -B $(BUILD_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	@start=$$(date +%s); scripts/bootstrap --npm & npm=$$!; \
	  cmake --build $(BUILD_DIR) -j $(JOBS); built=$$?; \
	  wait $$npm || { echo "make: scripts/bootstrap --npm failed" >&2; exit 1; }; \
	  echo "== build (Release, npm packages beside it): $$(($$(date +%s) - start)) s"; exit $$built
	@$(MAKE) --no-print-directory $(BUILD_DIR)/web/index.html

# The web page (docs/web.md): type-checked and bundled by Vite into $(BUILD_DIR)/web, which
# `claudelens serve` serves at /. Rebuilt only when a file under web/ (outside node_modules) changed.
WEB_SRCS := $(shell find web -path web/node_modules -prune -o -path web/test-output -prune -o -type f -print 2>/dev/null)
$(BUILD_DIR)/web/index.html: $(WEB_SRCS)
	cd web && CLAUDELENS_WEB_OUT=$(abspath $(BUILD_DIR))/web npm run --silent build
	@touch $@

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
