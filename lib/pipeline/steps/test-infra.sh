#!/usr/bin/env bash
# TestInfrastructure step: the test suite, then a synth of exactly one system's stages and
# pipeline, then the synth summary. Usage: test-infra.sh <system>
set -euo pipefail
. "$(dirname "$0")/lib.sh"
system="${1:?usage: test-infra.sh <system>}"

npm test
# Straight to cdk: `npm run synth -- -c ...` would hand the context to the summary script,
# the last command of that npm script.
npx cdk synth --quiet "**" -c "systems=$system"
npx tsx scripts/synth-summary.ts
