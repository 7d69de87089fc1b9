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

.PHONY: all build install image demo demo-image demo-db test unit lint bench fuzz clean

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

# Everything CI runs: format, vet, staticcheck, then every test, the
# end-to-end ones included (they need root, debootstrap and the docker CLI;
# outside CI they skip with a message when those are missing).
test: lint unit

unit:
	go test -count=1 -timeout 40m ./...

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
	go test -run '^$$' -bench 'Stack' -benchtime 3x ./compose/
	# Hostile input: the secret pass on adversarial text beside normal text
	# (MB/s), merge of many whiteouts, 100,000+ layers, 1M dpkg packages,
	# a table of huge cells.
	go test -run '^$$' -bench 'Scan' -benchtime 3x ./engine/analyze/secret/
	go test -run '^$$' -bench 'MergeBomb' -benchtime 3x ./engine/merge/
	go test -run '^$$' -bench 'ManyLayers' -benchtime 3x ./engine/scan/
	go test -run '^$$' -bench 'DpkgMillionPackages' -benchtime 3x -benchmem ./engine/analyze/ospkg/
	go test -run '^$$' -bench 'TableLongCells' -benchtime 3x -benchmem ./engine/report/

# A short run of every fuzz target.
FUZZTIME ?= 30s
fuzz:
	go test -run '^$$' -fuzz '^FuzzParseApk$$' -fuzztime $(FUZZTIME) ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzParseDpkgStatus$$' -fuzztime $(FUZZTIME) ./engine/analyze/ospkg/
	go test -run '^$$' -fuzz '^FuzzWalk$$' -fuzztime $(FUZZTIME) ./engine/analyze/
	go test -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZTIME) ./engine/analyze/secret/
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

clean:
	rm -rf bin $(DEMO_IMAGE) $(DEMO_CACHE)
