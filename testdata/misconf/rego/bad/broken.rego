# METADATA
# title: broken
# custom:
#   id: BAD-1
package user.dockerfile.broken

import rego.v1

deny contains msg if {
	some instr in input.Stages[_].Commands
	msg := sprintf("%s", [instr.Cmd]
}
