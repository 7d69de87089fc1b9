# METADATA
# title: Remote script piped into a shell
# description: |
#   A RUN instruction downloads a script with curl or wget and feeds it
#   straight to a shell, so whatever the server returns that day runs in
#   the build.
# schemas:
#   - input: schema["dockerfile"]
# related_resources:
#   - https://example.com/docs/no-pipe-to-shell
# custom:
#   id: ACME-DF-001
#   avd_id: AVD-ACME-001
#   severity: high
#   short_code: no-pipe-to-shell
#   recommended_actions: Download the script, check its digest, then run it.
#   input:
#     selector:
#       - type: dockerfile
package user.dockerfile.no_pipe_to_shell

import rego.v1

import data.lib.docker

fetchers := {"curl", "wget"}

shells := {"sh", "bash", "ash", "zsh"}

deny contains res if {
	some instr in docker.run
	script := concat(" ", instr.Value)
	contains(script, "|")
	some tool in fetchers
	contains(script, tool)
	some sh in shells
	regex.match(sprintf(`\|\s*%s(\s|$)`, [sh]), script)
	res := result.new(sprintf("'%s' output is piped into '%s'", [tool, sh]), instr)
}
