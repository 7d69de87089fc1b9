# METADATA
# title: apt-get install without -y
# custom:
#   id: ACME-DF-003
#   severity: MEDIUM
#   input:
#     selector:
#       - type: dockerfile
package user.dockerfile.apt_yes

import rego.v1

import data.lib.cmdutil
import data.lib.docker

deny_apt_install contains res if {
	some instr in docker.run
	some cmd in docker.split_cmd(concat(" ", instr.Value))
	cmdutil.is_tool(cmd, "apt-get")
	cmdutil.is_command(cmd, "install")
	not cmdutil.has_flag(cmd, "-y")
	not cmdutil.has_flag(cmd, "--yes")
	res := result.new("apt-get install without -y", instr)
}
