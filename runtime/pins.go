//go:build pin

// This file is never compiled. It keeps the daemon client libraries that the
// runtime sources are built on (and that are known to build together with
// the Podman bindings) pinned in go.mod before every source uses them.
package runtime

import (
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/containerd/containerd/v2/client"
	_ "github.com/containers/podman/v5/pkg/bindings"
	_ "github.com/moby/moby/client"
	_ "go.etcd.io/bbolt"
)
