package report

import (
	"errors"
	"io"

	"github.com/docker-scan/docker-scan/engine/types"
)

func writeSPDXJSON(io.Writer, *types.Report, Options) error { return errors.New("not built yet") }

func writeSPDXTagValue(io.Writer, *types.Report, Options) error { return errors.New("not built yet") }

func writeStackSPDXJSON(io.Writer, *types.StackReport, Options) error {
	return errors.New("not built yet")
}

func writeStackSPDXTagValue(io.Writer, *types.StackReport, Options) error {
	return errors.New("not built yet")
}
