// Command demo-image writes the bundled demo image: each directory under
// testdata/demo/layers becomes one layer, in name order, and the result is
// saved as a docker save archive. It needs no network.
package main

import (
	"fmt"
	"os"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: demo-image LAYERS_DIR OUTPUT.tar")
		os.Exit(2)
	}
	if err := imagebuild.DirsImage(os.Args[1], os.Args[2], imagebuild.DemoTag); err != nil {
		fmt.Fprintln(os.Stderr, "demo-image: "+err.Error())
		os.Exit(1)
	}
}
