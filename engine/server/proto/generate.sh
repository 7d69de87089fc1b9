#!/bin/sh
# Regenerates engine/server/rpc from the .proto files next to this script.
# The generated code is committed; run this (or `make proto`) only after
# changing a .proto file. Needs buf (https://buf.build) on PATH or in
# ~/go/bin, and the Go module proxy for the two plugins.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
protobuf_version=v1.36.12
twirp_version=v8.1.3+incompatible

buf=$(command -v buf || true)
if [ -z "$buf" ] && [ -x "$HOME/go/bin/buf" ]; then
	buf=$HOME/go/bin/buf
fi
if [ -z "$buf" ]; then
	echo "generate.sh: buf not found (go install github.com/bufbuild/buf/cmd/buf@latest)" >&2
	exit 1
fi

gobin=$(mktemp -d)
trap 'rm -rf "$gobin"' EXIT INT TERM
GOBIN=$gobin GOFLAGS= go install "google.golang.org/protobuf/cmd/protoc-gen-go@$protobuf_version"
GOBIN=$gobin GOFLAGS= go install "github.com/twitchtv/twirp/protoc-gen-twirp@$twirp_version"

cd "$here"
PATH=$gobin:$PATH "$buf" generate
