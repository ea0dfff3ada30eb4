#!/usr/bin/env bash
# Prod Diff step: destructive changes and `cdk diff` of one stage, written where the manual
# approval links to, encrypted with the pipeline key. Exits non-zero when the diff script does
# (a destructive change the allowlist does not cover), after the output is uploaded, so the
# reason is readable from the approval link.
# Usage: diff.sh <system> <stage> <image tags a=b,..> <bucket> <key id> <execution id>
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 6 ] || die "usage: diff.sh <system> <stage> <image tags> <bucket> <kms key id> <execution id>"
system="$1" stage="$2" tags="$3" bucket="$4" key="$5" execution="$6"
mapfile -t args < <(image_tag_args "$tags")

status=0
# pipefail (set above) keeps the diff's exit status through `tee`.
# The in-process synth packages the bundled handlers (build/ is not in the repository).
node scripts/build-lambdas.mjs
# --deployed: compare with what the stage runs, and fail when that cannot be read.
npx tsx scripts/diff.ts "$system" "$stage" --deployed "${args[@]}" 2>&1 | tee diff.txt || status=$?
# Name the key: `--sse aws:kms` alone encrypts with the account's aws/s3 key.
aws s3 cp diff.txt "s3://$bucket/diffs/$execution.txt" --sse aws:kms --sse-kms-key-id "$key"
[ "$status" -eq 0 ] || echo "error: the diff of $system $stage exited with $status (see the output above)" >&2
exit "$status"
