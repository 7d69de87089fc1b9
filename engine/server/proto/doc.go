// Package proto holds the .proto files of Trivy's client/server wire format
// (services trivy.cache.v1.Cache and trivy.scanner.v1.Scanner) from which
// the Go code in engine/server/rpc is generated.
package proto

//go:generate ./generate.sh
