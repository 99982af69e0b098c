#!/usr/bin/env bash
# Assembles an install script from the schema sources:
#   extension/assemble.sh VERSION extension/schema/*.sql > bedrock_support--VERSION.sql
# The sources are the schema as it is now, one file per concern; the
# Makefile runs this for default_version and, once that is released, checks
# the result against the SHA-256 extension/releases pins it to.
set -euo pipefail
version=$1; shift
cat <<HEADER
-- bedrock_support $version, assembled by make from extension/schema/*.sql:
-- edit those files, never this one (doc/operations.md, "Releases").
\\echo Use "CREATE EXTENSION bedrock_support" to load this file. \\quit

-- The sources follow concerns, not the order in which one function's body
-- reads another file's tables; bodies are checked by the tests instead.
SET LOCAL check_function_bodies = off;
HEADER
for source in "$@"; do
    printf '\n-- %s\n\n' "$(basename "$source")"
    cat "$source"
done
