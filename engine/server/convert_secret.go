package server

import (
	"fmt"
	"strings"

	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Secret file paths are absolute on the wire, as Trivy's analyzer writes
// them and its server puts them in a result's Target; ours are relative to
// the image root. The image config's pseudo path stays as it is.
func secretFileToWire(sf types.SecretFile) *common.Secret {
	p := sf.FilePath
	if p != scan.ConfigPath && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	s := &common.Secret{Filepath: p}
	for i := range sf.Findings {
		s.Findings = append(s.Findings, secretFindingToWire(&sf.Findings[i]))
	}
	return s
}

func secretFileFromWire(s *common.Secret, b *wireBudget) (types.SecretFile, error) {
	if s == nil {
		return types.SecretFile{}, fmt.Errorf("empty secret entry")
	}
	if err := checkWirePath(s.Filepath, "secret file path"); err != nil {
		return types.SecretFile{}, err
	}
	sf := types.SecretFile{FilePath: strings.TrimPrefix(s.Filepath, "/")}
	findings, err := secretFindingsFromWire(s.Findings, b)
	if err != nil {
		return types.SecretFile{}, fmt.Errorf("%s: %w", s.Filepath, err)
	}
	sf.Findings = findings
	return sf, nil
}

func secretFindingToWire(f *types.SecretFinding) *common.SecretFinding {
	w := &common.SecretFinding{
		RuleId:    f.RuleID,
		Category:  f.Category,
		Severity:  f.Severity,
		Title:     f.Title,
		StartLine: clampInt32(f.StartLine),
		EndLine:   clampInt32(f.EndLine),
		Match:     f.Match,
		// Trivy reads the layer of a finding without checking it is
		// there: it is always sent.
		Layer: &common.Layer{Digest: f.Layer.Digest, DiffId: f.Layer.DiffID},
	}
	w.Code = codeToWire(f.Code)
	return w
}

// codeToWire is a finding's code excerpt; nil when it has no lines.
func codeToWire(c types.Code) *common.Code {
	if len(c.Lines) == 0 {
		return nil
	}
	w := &common.Code{}
	for _, l := range c.Lines {
		w.Lines = append(w.Lines, &common.Line{
			Number:     clampInt32(l.Number),
			Content:    l.Content,
			IsCause:    l.IsCause,
			Truncated:  l.Truncated,
			FirstCause: l.FirstCause,
			LastCause:  l.LastCause,
		})
	}
	return w
}

// codeFromWire reads a code excerpt, bounded by b.
func codeFromWire(w *common.Code, b *wireBudget) (types.Code, error) {
	var c types.Code
	lines := w.GetLines()
	if err := b.take(len(lines), "code lines"); err != nil {
		return c, err
	}
	for _, l := range lines {
		if l == nil {
			return c, fmt.Errorf("empty code line")
		}
		n, err := checkWireInt(l.Number, "code line number")
		if err != nil {
			return c, err
		}
		c.Lines = append(c.Lines, types.CodeLine{
			Number:     n,
			Content:    l.Content,
			IsCause:    l.IsCause,
			Truncated:  l.Truncated,
			FirstCause: l.FirstCause,
			LastCause:  l.LastCause,
		})
	}
	return c, nil
}

func secretFindingsFromWire(ws []*common.SecretFinding, b *wireBudget) ([]types.SecretFinding, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	if err := b.take(len(ws), "secret findings"); err != nil {
		return nil, err
	}
	out := make([]types.SecretFinding, 0, len(ws))
	for _, w := range ws {
		if w == nil {
			return nil, fmt.Errorf("empty secret finding")
		}
		start, err := checkWireInt(w.StartLine, "secret start line")
		if err != nil {
			return nil, err
		}
		end, err := checkWireInt(w.EndLine, "secret end line")
		if err != nil {
			return nil, err
		}
		f := types.SecretFinding{
			RuleID:    w.RuleId,
			Category:  w.Category,
			Severity:  w.Severity,
			Title:     w.Title,
			StartLine: start,
			EndLine:   end,
			Match:     w.Match,
			Layer:     layerRefFromWire(w.Layer),
		}
		code, err := codeFromWire(w.GetCode(), b)
		if err != nil {
			return nil, err
		}
		f.Code = code
		out = append(out, f)
	}
	return out, nil
}
