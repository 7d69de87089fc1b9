# METADATA
# title: Dockerfile helpers for custom checks
# description: |
#   The data.lib.docker library that custom Dockerfile checks written for
#   Trivy import: the instructions of each kind across all stages, the
#   instructions of each kind per stage, and shell command helpers.
# custom:
#   library: true
#   input:
#     selector:
#     - type: dockerfile
package lib.docker

import rego.v1

# instructions_of(kind) is the set of every instruction named kind
# ("run", "copy"...) in every stage, in lower case as the parser gives it.
instructions_of(kind) := {instr |
	some stage in input.Stages
	some instr in stage.Commands
	instr.Cmd == kind
}

# The same, as sets that checks iterate or count. They are partial rules,
# as in Trivy's library, so that a team's vendored copy of that library
# merges with this one instead of conflicting.
from contains instr if some instr in instructions_of("from")

add contains instr if some instr in instructions_of("add")

run contains instr if some instr in instructions_of("run")

copy contains instr if some instr in instructions_of("copy")

entrypoint contains instr if some instr in instructions_of("entrypoint")

expose contains instr if some instr in instructions_of("expose")

user contains instr if some instr in instructions_of("user")

workdir contains instr if some instr in instructions_of("workdir")

healthcheck contains instr if some instr in instructions_of("healthcheck")

# in_stage(stage, kind) is the stage's instructions named kind, in order.
in_stage(stage, kind) := [instr |
	some instr in stage.Commands
	instr.Cmd == kind
]

# Per stage, keyed by the stage object itself.
stage_copies[stage] := in_stage(stage, "copy") if some stage in input.Stages

stage_entrypoints[stage] := in_stage(stage, "entrypoint") if some stage in input.Stages

stage_cmd[stage] := in_stage(stage, "cmd") if some stage in input.Stages

stage_healthcheck[stage] := in_stage(stage, "healthcheck") if some stage in input.Stages

stage_user[stage] := in_stage(stage, "user") if some stage in input.Stages

# split_cmd(s) is the shell commands of s, each a list of words.
split_cmd(s) := sh.parse_commands(s)

# command_indexes(cmds, cmds_to_check, package_manager) is the positions
# in cmds (lists of words) of the commands where a package manager word is
# followed, later in the same command, by one of the sub-commands to check
# ("apt-get ... install"); undefined when there is none.
command_indexes(cmds, cmds_to_check, package_manager) := found if {
	found := [idx |
		some idx, words in cmds
		manager_then_action(words, package_manager, cmds_to_check)
	]
	count(found) > 0
}

manager_then_action(words, managers, actions) if {
	some i, j
	words[i] in managers
	words[j] in actions
	i < j
}
