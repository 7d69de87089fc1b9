package report

import (
	"errors"
	"io"

	"github.com/docker-scan/docker-scan/engine/types"
)

func writeCosignVuln(io.Writer, *types.Report, Options) error { return errors.New("not built yet") }

func writeStackCosignVuln(io.Writer, *types.StackReport, Options) error {
	return errors.New("not built yet")
}
