# METADATA
# title: Command word helpers for custom checks
# description: The data.lib.cmdutil library of Trivy's Dockerfile checks.
# custom:
#   library: true
#   input:
#     selector:
#     - type: dockerfile
package lib.cmdutil

import rego.v1

# is_tool(tokens, tool): the command's first word is tool.
is_tool(tokens, tool) if tokens[0] == tool

# is_command(tokens, command): ignoring flags, the word after the tool is
# command ("apt-get -q install" is the install command of apt-get).
is_command(tokens, command) if {
	words := [t | some t in tokens; not startswith(t, "-")]
	words[1] == command
}

# has_flag(tokens, flag): flag is one of the words, exactly.
has_flag(tokens, flag) if flag in tokens

# to_command_string(value) joins an instruction's Value with spaces.
to_command_string(value) := concat(" ", value)
