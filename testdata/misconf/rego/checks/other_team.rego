# METADATA
# title: Every Dockerfile must set a WORKDIR
# custom:
#   id: OPS-1
#   severity: LOW
#   input:
#     selector:
#       - type: dockerfile
package ops.dockerfile.workdir

import rego.v1

import data.lib.docker

deny contains "no WORKDIR in the Dockerfile" if count(docker.workdir) == 0
