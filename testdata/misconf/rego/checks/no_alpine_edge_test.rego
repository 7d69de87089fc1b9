package user.dockerfile.alpine_edge_test

this is not even Rego: test files are skipped
