# audiofs: `make test` installs what is missing (Debian packages, npm packages), builds and runs every test.
SHELL := /bin/bash
DEB_PACKAGES := libfuse2 fuse sox libsox-fmt-all mpg123 lame timidity freepats icecast2 \
	aubio-tools ffmpeg alsa-utils libasound2 libasound2-dev python3-numpy python3-mido g++ make python3 \
	openssh-client openssh-server procps vim-tiny nano rsync libarchive-tools tmux
# Tests that measure latency or memory growth run one at a time after the others, on a machine the rest of
# the suite is not loading (a 20,000-connection flood beside a latency bound measures the flood).
TESTS_ALONE = dist/test/vfs/bounds.test.js dist/test/vfs/conversion-latency.test.js
TESTS = $(filter-out $(TESTS_ALONE),$(shell find dist/test -name '*.test.js' | sort))
TEST_CONCURRENCY ?= 2
PUMP_ADDON := native/pump/build/Release/pump.node
SCHED_ADDON := native/sched/build/Release/sched.node
SPAWN_ADDON := native/spawn/build/Release/spawn.node

.PHONY: all deps debian build test demo bench clean

all: build

deps: debian node_modules/.audiofs-installed node_modules/fuse-native/.audiofs-built $(PUMP_ADDON) $(SCHED_ADDON) $(SPAWN_ADDON)

# Baselines only the benchmarks run against.
BENCH_PACKAGES := ecasound

debian:
	@missing=$$(for p in $(DEB_PACKAGES) $(EXTRA_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

node_modules/.audiofs-installed: package.json package-lock.json | debian
	npm ci --no-audit --no-fund
	touch $@

NODE_GYP = node "$$(dirname "$$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" rebuild --nodedir="$$(npm config get nodedir)"

# The vendored fuse-native again after an edit of its sources (npm ci copied it into node_modules).
VENDORED_FUSE := $(wildcard vendor/fuse-native/*.c vendor/fuse-native/*.h vendor/fuse-native/*.js vendor/fuse-native/binding.gyp)
node_modules/fuse-native/.audiofs-built: $(VENDORED_FUSE) | node_modules/.audiofs-installed
	cp $(VENDORED_FUSE) node_modules/fuse-native/
	cd node_modules/fuse-native && $(NODE_GYP) >build.log 2>&1 || { cat build.log; exit 1; }
	touch $@

# The splice pump between stages (native/pump); where it cannot be built (not Linux) the JavaScript relay is used.
$(PUMP_ADDON): native/pump/pump.cc native/napi-errors.h native/pump/binding.gyp | node_modules/.audiofs-installed
	cd native/pump && $(NODE_GYP) >build.log 2>&1 || { cat build.log; [ "$$(uname)" != Linux ] || exit 1; echo "native/pump not built: junctions use the JavaScript relay"; }

# Threads' scheduling policies set without a process (native/sched); where it cannot be built (not Linux), V8's
# compiler threads keep one policy (engine-priority.ts).
$(SCHED_ADDON): native/sched/sched.cc native/sched/binding.gyp | node_modules/.audiofs-installed
	cd native/sched && $(NODE_GYP) >build.log 2>&1 || { cat build.log; [ "$$(uname)" != Linux ] || exit 1; echo "native/sched not built: V8's compiler threads run SCHED_FIFO beside a realtime mix throughout"; }

# Stages started with posix_spawn and reaped through pidfds (native/spawn); where it cannot be built, Node's spawn
# (a fork of the whole mount) starts them.
$(SPAWN_ADDON): native/spawn/spawn.cc native/napi-errors.h native/spawn/binding.gyp | node_modules/.audiofs-installed
	cd native/spawn && $(NODE_GYP) >build.log 2>&1 || { cat build.log; [ "$$(uname)" != Linux ] || exit 1; echo "native/spawn not built: stages start with Node's spawn (a fork)"; }

build: deps
	npx tsc -p tsconfig.json

test: build
	bash .ci/check-skips
	node --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=300000 $(TESTS)
	node --test --test-concurrency=1 --test-timeout=300000 $(TESTS_ALONE)

demo: build
	bash fixtures/demo.sh

bench:
	$(MAKE) build EXTRA_PACKAGES="$(BENCH_PACKAGES)"
	node dist/bench/run.js

clean:
	rm -rf dist
