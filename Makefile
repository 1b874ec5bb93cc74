# Two commands matter: `make demo` and `make test`. Both run the setup script first.
BUILD      ?= build
TEST_BUILD ?= build-asan
JOBS       ?= 2
# ccache hits across clones and worktrees: paths are taken relative to the checkout.
export CCACHE_BASEDIR := $(CURDIR)
CMAKE_GEN  := -G Ninja

.PHONY: setup build build-asan web web-test demo test format clean

setup:
	@scripts/setup.sh

build:
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DPARTNERCLOUD_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan:
	@cmake -S . -B $(TEST_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DPARTNERCLOUD_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)

# The browser app: web/dist, served by partnercloud at / (see README "Web UI").
web:
	@cd web && npm run --silent build >/dev/null

# Only the web UI's unit tests (Vitest); `make test` runs them and the browser tests too.
web-test:
	@cd web && npm test --silent

demo: setup build web
	$(BUILD)/partnercloud demo $(DEMO_ARGS)

test: setup build-asan web
	@scripts/test.sh $(TEST_BUILD)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
