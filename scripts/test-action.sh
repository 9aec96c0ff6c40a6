#!/usr/bin/env bash
# The development loop: the e2e tests of one action (or of the toolkit or the pipeline), on the
# test bed (set up if it is not there). `npm run test:action -- compose-itest [vitest options]`
set -euo pipefail
cd "$(dirname "$0")/.."
names() { for f in test/e2e/*.test.ts; do basename "$f" .test.ts; done | sed 's/-\(rancher\|swarm\)$//' | sort -u | tr '\n' ' '; }
name=${1:-}
if [ -z "$name" ] || ! compgen -G "test/e2e/$name*.test.ts" >/dev/null || [[ "$name" == */* ]]; then
  echo "usage: npm run test:action -- <name> [vitest options]; names: $(names)" >&2
  exit 2
fi
shift
bash scripts/testbed/setup.sh
exec npx vitest run test/e2e/"$name"*.test.ts "$@"
