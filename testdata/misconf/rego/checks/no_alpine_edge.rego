# METADATA
# title: alpine:edge as a base image
# custom:
#   id: ACME-DF-004
#   severity: CRITICAL
package user.dockerfile.alpine_edge

import rego.v1

import data.user.lib.images

deny contains res if {
	some stage in input.Stages
	images.base_image(stage) == "alpine:edge"
	some instr in stage.Commands
	instr.Cmd == "from"
	res := {"msg": "alpine:edge moves every day", "startline": instr.StartLine, "endline": instr.EndLine}
}
