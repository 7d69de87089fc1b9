# METADATA
# title: A complete rule with several values
# custom:
#   id: ERR-1
#   input:
#     selector:
#       - type: dockerfile
package user.dockerfile.conflict

import rego.v1

deny := msg if {
	some instr in input.Stages[_].Commands
	msg := instr.Cmd
}
