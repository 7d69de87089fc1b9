package report

import (
	"errors"
	"io"

	"github.com/docker-scan/docker-scan/engine/types"
)

func writeSARIF(io.Writer, *types.Report, Options) error { return errors.New("not built yet") }

func writeStackSARIF(io.Writer, *types.StackReport, Options) error {
	return errors.New("not built yet")
}
