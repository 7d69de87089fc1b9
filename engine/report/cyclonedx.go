package report

import (
	"errors"
	"io"

	"github.com/docker-scan/docker-scan/engine/types"
)

func writeCycloneDXJSON(io.Writer, *types.Report, Options) error { return errors.New("not built yet") }

func writeCycloneDXXML(io.Writer, *types.Report, Options) error { return errors.New("not built yet") }

func writeStackCycloneDXJSON(io.Writer, *types.StackReport, Options) error {
	return errors.New("not built yet")
}

func writeStackCycloneDXXML(io.Writer, *types.StackReport, Options) error {
	return errors.New("not built yet")
}
