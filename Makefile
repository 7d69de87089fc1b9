# docker scan: build, install, demo, test.
#
# The Podman bindings that the runtime sources use need CGO_ENABLED=0 and
# these build tags; every go command below (and any go command the tests
# start) gets them through GOFLAGS.
TAGS := remote,exclude_graphdriver_btrfs,btrfs_noversion,exclude_graphdriver_devicemapper,containers_image_openpgp
export CGO_ENABLED := 0
export GOFLAGS := -buildvcs=false -tags=$(TAGS)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PLUGIN_DIR ?= $(HOME)/.docker/cli-plugins
STATICCHECK_VERSION := v0.8.2
GOBIN := $(shell go env GOPATH)/bin
DEMO_IMAGE := testdata/demo/demo-image.tar
DEMO_CACHE := testdata/demo/cache
DEMO_DB := $(DEMO_CACHE)/db/trivy.db

.PHONY: all build install image demo demo-image demo-db test unit e2e lint bench fuzz proto load clean

all: build

build:
	go build -ldflags "-X github.com/docker-scan/docker-scan/plugin.Version=$(VERSION)" -o bin/docker-scan ./cmd/docker-scan

# Installs the CLI plugin: afterwards `docker scan --help` works and
# `docker info` lists it under Plugins.
install: build
	install -D -m 0755 bin/docker-scan $(PLUGIN_DIR)/docker-scan

# The docker-scan image (Dockerfile: FROM scratch and the static binary),
# built offline by the local Docker engine.
IMAGE ?= docker-scan
image: build
	docker build -t $(IMAGE):$(VERSION) -t $(IMAGE):latest .

demo-image: $(DEMO_IMAGE)

$(DEMO_IMAGE): $(shell find testdata/demo/layers -type f) cmd/demo-image/main.go
	go run ./cmd/demo-image testdata/demo/layers $@

demo-db: $(DEMO_DB)

$(DEMO_DB): $(wildcard testdata/db/*.yaml) cmd/fixture-db/main.go
	go run ./cmd/fixture-db -o $(DEMO_CACHE)/db $(wildcard testdata/db/*.yaml)

# Builds and installs the plugin, then scans the bundled demo image with the
# demo DB, offline.
DEMO_ARGS := image --input $(DEMO_IMAGE) --cache-dir $(DEMO_CACHE) --skip-db-update
demo: install demo-image demo-db
	@if command -v docker >/dev/null 2>&1; then \
		echo "+ docker scan $(DEMO_ARGS)"; docker scan $(DEMO_ARGS); \
	else \
		echo "+ docker-scan $(DEMO_ARGS) (no docker CLI found)"; $(PLUGIN_DIR)/docker-scan $(DEMO_ARGS); \
	fi

# Tests, in two tiers.
#
#   make unit   go test -short: no daemon, no root, no network, no slow
#               cross-compile; about a minute with warm Go caches.
#   make e2e    the end-to-end tests, and only those: real dockerd,
#               containerd and Podman, debootstrap and apt in a chroot,
#               Compose, npm and Debian packages, Go cross-compiles, and
#               the slowest adversarial-input tests.
#   make test   lint, unit, then e2e: every test once. This is what CI runs
#               (.ci/run), where a missing daemon or tool fails a test
#               instead of skipping it.
#
# How a test lands in a tier: an end-to-end test calls testenv.E2E (the
# daemon starters in runtime/daemontest and the cache helpers that fetch
# do it for their callers), which skips it under -short; so does
# testenv.Slow, for the few adversarial-input tests that take several
# seconds each. `make e2e` runs without -short and selects the tests by
# name with E2E_TEST_NAMES below, so the unit tests are not run a second
# time. The list cannot fall behind: both tiers pass it to the tests in
# DOCKER_SCAN_E2E_TESTS, and E2E and Slow fail a test that -short would
# skip but the list does not name. (A test that builds a Go program with
# modules is in the list but also runs under -short when the module cache
# has what it needs: it costs a second or two.)
#
# Scratch state is per run (t.TempDir, os.MkdirTemp, daemons on their own
# sockets), so two runs on one machine do not collide. What the tests
# download or build once per machine (the Debian roots, Compose, Go
# binaries, npm and Debian packages, benchmark images) is kept in
# ~/.cache/docker-scan-test/<name>-<version>/ ($XDG_CACHE_HOME is
# honoured): a second run needs no network. Delete it to start over.
E2E_TEST_NAMES := \
	TestAlpineMatchesApk TestDebianMatchesDpkgQuery TestDebianSourceMatching \
	TestSecretsQuietOnDebianImage TestRealLanguageFiles TestRealThirdPartyCode \
	TestLanguagePackages TestGoldenLanguages TestGoBinary TestGoBinaryFormats \
	TestComposeSidecarGate TestComposeProviderGate TestComposeScanCLI TestCLIHooks \
	TestDockerEngineSource TestInterruptRemovesTempFiles TestStandaloneUsesDockerContext \
	TestDockerEngineSizeAndExportProgress TestContainerdSource TestPodmanSource TestRuntimeAll \
	TestDockerContainerdImageStore \
	TestHostileLayersManyLayers TestHostileLayersLongPaths TestHostileLayersTimeout \
	TestHostileLayersGzipBombInput TestHostileDBCorruptScanCache TestHostileDBCorruptTrivyDB \
	TestHostileOutputMillionPackageDpkg TestHostileSecretTimeout TestCachedUnmountsBeforeRemoving \
	TestRPMFamilyImages TestRPMFamilyFindings TestRedHatUBI8Image TestCentOSImages TestGoldenTrivyShape \
	TestTrivyDifferential TestCycloneDXReadByTrivy TestSPDXReadByTrivy TestDependencyTreeDebianImage \
	TestSBOMRoundTripDebian TestSBOMRoundTripLanguages \
	TestTrivyServerReadsOurBlobs TestTrivyClientBlobsScanLikeOurs \
	TestRedisCacheCLI TestRedisDownOneWarning TestRedisTLSCacheCLI \
	TestServerReplicasShareRedis TestServerTrivyCompatibility TestServerFaults TestServerLoad \
	TestMisconfigImageConfig TestJUnitTemplateReadByJunitparser TestDebianLicenses
empty :=
space := $(empty) $(empty)
export DOCKER_SCAN_E2E_TESTS := ^($(subst $(space),|,$(strip $(E2E_TEST_NAMES))))$$

test: lint unit e2e

unit:
	go test -short -count=1 -timeout 15m ./...

e2e:
	go test -count=1 -timeout 60m -run '$(DOCKER_SCAN_E2E_TESTS)' ./...

lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; exit 1; fi
	go vet ./...
	@test -x $(GOBIN)/staticcheck || GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

# Layer-analysis throughput and peak memory on a generated image of over
# 500 MB and 50,000 files, against `gzip -dc` of the same layers; then
# detection time for 1,000 packages against 100,000 advisories, and the DB
# open time; then the hostile-input benchmarks.
bench:
	go test -run '^$$' -bench 'LayerAnalysis' -benchtime 3x -timeout 60m ./engine/analyze/
	go test -run '^$$' -bench 'LanguageAnalysis' -benchtime 5x ./engine/analyze/
	go test -run '^$$' -bench 'Detect|Open' -benchmem ./engine/detect/
	# A 1,500-package rpm image (Rocky 9, a SQLite rpmdb built once with
	# rpmbuild and kept in the test cache) analysed and matched against
	# 900 advisories, every layer analysed each time.
	go test -run '^$$' -bench 'RPMImage1500' -benchtime 3x -benchmem ./engine/scan/
	# A real image: the Debian 12 application root of the test cache
	# (python3, pip, nodejs, npm and an npm tree, a JRE, perl, git; 800 MB,
	# 45,000 files) as one plain layer, scanned in process package-only
	# (vuln) and by default (vuln + secret), then the two interleaved
	# (SecretOverhead: overhead-x is the ratio of their times, the
	# secret pass's overhead, target <= 1.3; peak RSS of each).
	# Then with the licence scanner (the package scan + licences: target
	# under 5% more) and with --license-full (licence texts classified).
	# Skips without the root (TestSecretsQuietOnDebianImage builds it).
	go test -run '^$$' -bench 'DebianRealImage' -benchtime 3x -timeout 30m ./engine/scan/
	# Licence names normalised and classified (1,000 real names).
	go test -run '^$$' -bench 'Normalize|Classify' -benchmem ./engine/licensing/
	# --license-full's classifier over /usr/share/doc and npm's own
	# node_modules: its load time, and the time per file classified.
	go test -run '^$$' -bench 'LicenseFull' -benchtime 3x -benchmem ./engine/analyze/license/
	go test -run '^$$' -bench 'Stack' -benchtime 3x ./compose/
	# 1,000 Dockerfiles parsed and checked with every built-in check, then
	# with one custom Rego check added (ns/file).
	go test -run '^$$' -bench 'DockerfileChecks1000' -benchmem ./engine/misconf/
	# CycloneDX JSON of a report with 3,000 packages and 300 findings.
	go test -run '^$$' -bench 'CycloneDX3000' -benchtime 5x -benchmem ./engine/report/
	# Hostile input: the secret pass on adversarial text beside normal text
	# (MB/s), merge of many whiteouts, 100,000+ layers, 1M dpkg packages,
	# a table of huge cells.
	go test -run '^$$' -bench 'Scan' -benchtime 3x ./engine/analyze/secret/
	go test -run '^$$' -bench 'MergeBomb' -benchtime 3x ./engine/merge/
	go test -run '^$$' -bench 'ManyLayers' -benchtime 3x ./engine/scan/
	go test -run '^$$' -bench 'DpkgMillionPackages' -benchtime 3x -benchmem ./engine/analyze/ospkg/
	go test -run '^$$' -bench 'TableLongCells' -benchtime 3x -benchmem ./engine/report/
	# The Docker engine path: the Debian application image (800 MB, one
	# layer) in a test dockerd, cold with the layers read in place from
	# the engine's layer store (the default), cold with the streamed
	# export, cold with the temp-file export, and warm (every layer
	# cached). Skips without
	# dockerd or the Debian root of the test cache. (Not an e2e test:
	# the e2e pattern does not apply.)
	DOCKER_SCAN_E2E_TESTS= go test -run '^$$' -bench 'DockerEngine' -benchtime 3x -benchmem -timeout 30m ./runtime/

# Load test of the client/server mode: 500 scans from 50 clients against two
# `docker scan server` replicas sharing Redis behind a round-robin proxy,
# then against one `trivy server`; zero errors, and throughput, p50/p99
# latency, server peak RSS and Redis memory logged and written to load.json.
# (TestServerLoad is in E2E_TEST_NAMES but skips without DOCKER_SCAN_LOAD.)
load:
	DOCKER_SCAN_LOAD=1 DOCKER_SCAN_LOAD_OUT=$(CURDIR)/load.json go test -count=1 -timeout 30m -run '^TestServerLoad$$' -v ./cmd/docker-scan/

# Regenerate engine/server/rpc (Trivy's Twirp API) from engine/server/proto
# with buf, protoc-gen-go and protoc-gen-twirp at pinned versions. The
# generated code is committed: builds need none of these.
proto:
	engine/server/proto/generate.sh

# A short run of every fuzz target.
FUZZTIME ?= 30s
fuzz:
	go test -run '^$$' -fuzz '^FuzzParseApk$$' -fuzztime $(FUZZTIME) ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzParseDpkgStatus$$' -fuzztime $(FUZZTIME) ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzWalk$$' -fuzztime $(FUZZTIME) ./engine/analyze/
	go test -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZTIME) ./engine/analyze/secret/
	go test -run '^$$' -fuzz '^FuzzNarrowWindows$$' -fuzztime $(FUZZTIME) ./engine/analyze/secret/
	go test -run '^$$' -fuzz '^FuzzLiteralNeed$$' -fuzztime $(FUZZTIME) ./engine/analyze/secret/
	go test -run '^$$' -fuzz '^FuzzKeywordSkip$$' -fuzztime $(FUZZTIME) ./engine/analyze/secret/
	go test -run '^$$' -fuzz '^FuzzJava$$' -fuzztime $(FUZZTIME) ./engine/analyze/lang/
	go test -run '^$$' -fuzz '^FuzzPython$$' -fuzztime $(FUZZTIME) ./engine/analyze/lang/
	go test -run '^$$' -fuzz '^FuzzGoBinary$$' -fuzztime $(FUZZTIME) ./engine/analyze/lang/
	go test -run '^$$' -fuzz '^FuzzComposeFile$$' -fuzztime $(FUZZTIME) ./compose/
	go test -run '^$$' -fuzz '^FuzzTable$$' -fuzztime $(FUZZTIME) ./engine/report/
	# Seeds of the next three are whole bbolt files: minimising them would
	# take the whole run.
	go test -run '^$$' -fuzz '^FuzzCacheRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./engine/cache/
	go test -run '^$$' -fuzz '^FuzzDBOpen$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./engine/db/
	go test -run '^$$' -fuzz '^FuzzDBImport$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./engine/db/
	# rpm databases: the seeds are 128 KB, so minimising a new input would
	# take longer than the run; keep one pass.
	go test -run '^$$' -fuzz '^FuzzRPMDB$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1x -parallel 1 ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzReleaseFiles$$' -fuzztime $(FUZZTIME) ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzBottlerocketInventory$$' -fuzztime $(FUZZTIME) ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzContentManifest$$' -fuzztime $(FUZZTIME) ./engine/analyze/buildinfo/
	go test -run '^$$' -fuzz '^FuzzBuildDockerfile$$' -fuzztime $(FUZZTIME) ./engine/analyze/buildinfo/
	go test -run '^$$' -fuzz '^FuzzNodeManifest$$' -fuzztime $(FUZZTIME) ./engine/analyze/lang/
	go test -run '^$$' -fuzz '^FuzzRequiresDist$$' -fuzztime $(FUZZTIME) ./engine/analyze/lang/
	go test -run '^$$' -fuzz '^FuzzParseLicense$$' -fuzztime $(FUZZTIME) ./engine/report/
	go test -run '^$$' -fuzz '^FuzzSPDXPackage$$' -fuzztime $(FUZZTIME) ./engine/report/
	go test -run '^$$' -fuzz '^FuzzTemplate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./engine/report/
	go test -run '^$$' -fuzz '^FuzzParseVEX$$' -fuzztime $(FUZZTIME) ./engine/vex/
	go test -run '^$$' -fuzz '^FuzzDecodeSBOM$$' -fuzztime $(FUZZTIME) ./engine/sbom/
	go test -run '^$$' -fuzz '^FuzzLayerFromBlob$$' -fuzztime $(FUZZTIME) ./engine/server/
	go test -run '^$$' -fuzz '^FuzzResultsFromWire$$' -fuzztime $(FUZZTIME) ./engine/server/
	go test -run '^$$' -fuzz '^FuzzScanOptionsFromWire$$' -fuzztime $(FUZZTIME) ./engine/server/
	go test -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(FUZZTIME) ./engine/server/
	go test -run '^$$' -fuzz '^FuzzRedisValue$$' -fuzztime $(FUZZTIME) ./engine/cache/
	go test -run '^$$' -fuzz '^FuzzRedisURL$$' -fuzztime $(FUZZTIME) ./engine/cache/
	go test -run '^$$' -fuzz '^FuzzDockerfileChecks$$' -fuzztime $(FUZZTIME) ./engine/misconf/
	go test -run '^$$' -fuzz '^FuzzSplitShell$$' -fuzztime $(FUZZTIME) ./engine/misconf/
	go test -run '^$$' -fuzz '^FuzzRunChecks$$' -fuzztime $(FUZZTIME) ./engine/misconf/
	go test -run '^$$' -fuzz '^FuzzShParseCommands$$' -fuzztime $(FUZZTIME) ./engine/misconf/
	go test -run '^$$' -fuzz '^FuzzRegoDockerfileChecks$$' -fuzztime $(FUZZTIME) ./engine/misconf/
	go test -run '^$$' -fuzz '^FuzzImageConfigDockerfile$$' -fuzztime $(FUZZTIME) ./engine/misconf/
	go test -run '^$$' -fuzz '^FuzzAnalyze$$' -fuzztime $(FUZZTIME) ./engine/analyze/dockerfile/
	go test -run '^$$' -fuzz '^FuzzMisconfigTable$$' -fuzztime $(FUZZTIME) ./engine/report/
	go test -run '^$$' -fuzz '^FuzzNormalize$$' -fuzztime $(FUZZTIME) ./engine/licensing/
	go test -run '^$$' -fuzz '^FuzzParseCopyright$$' -fuzztime $(FUZZTIME) ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzLicenseFile$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./engine/analyze/license/
	go test -run '^$$' -fuzz '^FuzzTarSplitAssembly$$' -fuzztime $(FUZZTIME) ./runtime/
	go test -run '^$$' -fuzz '^FuzzTarSplitLine$$' -fuzztime $(FUZZTIME) ./runtime/
	go test -run '^$$' -fuzz '^FuzzPomLicenseNames$$' -fuzztime $(FUZZTIME) ./engine/analyze/lang/
	go test -run '^$$' -fuzz '^FuzzManifestLicenses$$' -fuzztime $(FUZZTIME) ./engine/analyze/lang/
	go test -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME) ./engine/licensing/
	go test -run '^$$' -fuzz '^FuzzClassify$$' -fuzztime $(FUZZTIME) ./engine/licensing/

clean:
	rm -rf bin $(DEMO_IMAGE) $(DEMO_CACHE)
