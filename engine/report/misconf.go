package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// The misconfiguration block of a table report has the layout of Trivy's:
// per config file a heading "<target> (<type>)", the count of tests and of
// failures by severity, then each failure with its message, the check's
// description and link, where it is, and the lines around it with the
// cause marked. Its rules are 40 columns wide, as Trivy's when it does not
// write to a terminal.
const misconfRuleWidth = 40

// Bounds on what one finding prints: a custom check's description or a
// hostile file may be huge, and the JSON report has everything anyway.
const (
	maxMisconfTextLines = 40
	maxMisconfCodeLines = 60
)

// misconfigBlock prints a config file's failures; a file that passed
// every check prints nothing (the summary table lists it), as in Trivy.
func misconfigBlock(w io.Writer, res types.Result, opts Options) error {
	if len(res.Misconfigurations) == 0 {
		return nil
	}
	heading(w, res.Target+" ("+res.Type+")", "=")
	successes, failures := 0, len(res.Misconfigurations)
	if s := res.MisconfSummary; s != nil {
		successes, failures = s.Successes, s.Failures
	}
	var severities []string
	for _, m := range res.Misconfigurations {
		if m.Status == "" || m.Status == "FAIL" {
			severities = append(severities, m.Severity)
		}
	}
	fmt.Fprintf(w, "Tests: %d (SUCCESSES: %d, FAILURES: %d)\n", successes+failures, successes, failures)
	fmt.Fprintf(w, "%s\n\n", strings.Replace(totalLine(severities), "Total:", "Failures:", 1))
	for _, m := range res.Misconfigurations {
		if err := misconfigFinding(w, res.Target, m, opts); err != nil {
			return err
		}
	}
	return nil
}

func misconfigFinding(w io.Writer, target string, m types.Misconfiguration, opts Options) error {
	heavy, light := strings.Repeat("═", misconfRuleWidth), strings.Repeat("─", misconfRuleWidth)
	sev := line(m.Severity)
	if opts.Color {
		sev = colorSeverity(sev)
	}
	status := ""
	if m.Status == "PASS" {
		status = "PASS: "
	}
	msg := m.Message
	if msg == "" {
		msg = m.Title
	}
	fmt.Fprintf(w, "%s%s (%s): %s\n%s\n", status, line(m.ID), sev, line(msg), heavy)
	for _, l := range boundedLines(m.Description, maxMisconfTextLines) {
		fmt.Fprintln(w, line(l))
	}
	switch {
	case m.PrimaryURL != "":
		fmt.Fprintf(w, "\nSee %s\n", line(m.PrimaryURL))
	case m.Resolution != "":
		// A check with no page of its own (compose's, a custom one)
		// says how to fix it here.
		if m.Description != "" {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Fix: %s\n", line(m.Resolution))
	}
	fmt.Fprintln(w, light)
	start, end := m.CauseMetadata.StartLine, m.CauseMetadata.EndLine
	if start == 0 {
		start, end = m.StartLine, m.StartLine
	}
	where := ""
	if start > 0 {
		where = ":" + strconv.Itoa(start)
		if end > start {
			where += "-" + strconv.Itoa(end)
		}
	}
	lines := m.CauseMetadata.Code.Lines
	if len(lines) > 0 || start > 0 {
		fmt.Fprintf(w, " %s%s%s\n", line(target), where, misconfigOrigin(m))
		fmt.Fprintln(w, light)
	}
	if len(lines) > 0 {
		if len(lines) > maxMisconfCodeLines {
			lines = lines[:maxMisconfCodeLines]
		}
		for i, l := range lines {
			fmt.Fprintln(w, codeLine(l, i, len(lines), opts))
		}
		fmt.Fprintln(w, light)
	}
	_, err := fmt.Fprint(w, "\n\n")
	return err
}

// misconfigOrigin names where the checked text came from, when it was not
// a file of the host: the compose service, the image layer, the history
// step an image's config was rebuilt from.
func misconfigOrigin(m types.Misconfiguration) string {
	var parts []string
	if m.Service != "" {
		parts = append(parts, "service "+m.Service)
	}
	if l := m.Layer; l != nil {
		if l.CreatedBy != "" {
			parts = append(parts, "history step: "+truncate(l.CreatedBy, 120))
		} else if l.DiffID != "" {
			parts = append(parts, "layer "+shortID(l.DiffID))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + line(strings.Join(parts, "; ")) + ")"
}

// codeLine is one line of a finding's code: its number, a mark for the
// cause ("[" a one-line cause, "┌ │ └" a longer one), and the text.
func codeLine(l types.CodeLine, i, n int, opts Options) string {
	num := strconv.Itoa(l.Number)
	switch {
	case l.Truncated:
		return fmt.Sprintf("%4s   ", strings.Repeat(".", len(num)))
	case !l.IsCause:
		return fmt.Sprintf("%4d   %s", l.Number, line(l.Content))
	}
	mark := "│"
	switch {
	case l.FirstCause && l.LastCause || n == 1:
		mark = "["
	case l.FirstCause || i == 0:
		mark = "┌"
	case l.LastCause || i == n-1:
		mark = "└"
	}
	prefix := fmt.Sprintf("%4d %s", l.Number, mark)
	if opts.Color {
		prefix = "\x1b[31m" + prefix + "\x1b[0m"
	}
	return prefix + " " + line(l.Content)
}

// boundedLines splits text into at most n lines, marking a cut.
func boundedLines(text string, n int) []string {
	text = strings.TrimRight(truncate(text, n*maxLineRunes), "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = append(lines[:n:n], ellipsis)
	}
	return lines
}
