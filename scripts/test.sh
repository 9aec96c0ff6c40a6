#!/usr/bin/env bash
# The whole suite: sets up the test bed (idempotent), then type check, lint, unit and e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/testbed/setup.sh
npx tsc -p .
npx eslint .
npx vitest run "$@"
