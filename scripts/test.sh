#!/usr/bin/env bash
# Runs the whole test suite (the README's test command; .ci/run calls exactly this).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/jdk.sh"
armor_find_jdk || exit 1
cd "$root"
exec mvn -B test "$@"
