package plugin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newServerHealthcheckCommand probes a scan server's /healthz: the image
// is FROM scratch, with no curl or wget for a container healthcheck.
func newServerHealthcheckCommand() *cobra.Command {
	timeout := 5 * time.Second
	cmd := &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "Exit 0 when the scan server at URL is ready (its /healthz answers 200)",
		Long: `Ask a scan server's /healthz whether it is ready to scan (it has a
vulnerability DB loaded), for container healthchecks in images without curl.
URL is the server's base URL (default http://127.0.0.1:4954) or its
/healthz URL.`,
		Example: `  # docker compose
  healthcheck:
    test: ["CMD", "/docker-scan", "server", "healthcheck"]`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := "http://127.0.0.1:4954"
			if len(args) == 1 {
				url = args[0]
			}
			if !strings.HasSuffix(url, "/healthz") {
				url = strings.TrimSuffix(url, "/") + "/healthz"
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return usageError(cmd, fmt.Errorf("bad URL %q: %w", url, err))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("scan server not reachable: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("scan server not ready: %s: %s", resp.Status, strings.TrimSpace(string(body)))
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSpace(string(body)))
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "probe-timeout", timeout, "give up after this long")
	return cmd
}
