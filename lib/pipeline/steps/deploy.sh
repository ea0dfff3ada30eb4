#!/usr/bin/env bash
# Deploy step of one stage: the data stack first (it holds the assets bucket), then each
# image's static files into that bucket, then every stack of the stage, so the new version's
# assets are there before CodeDeploy shifts any traffic to it.
# Usage: deploy.sh <stage id> <image tags a=b,..> <static paths> [<static dir>...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 3 ] || die "usage: deploy.sh <stage id> <image tags> <static paths> [<static dir>...]"
stage="$1" tags="$2" paths="$3"
shift 3
mapfile -t args < <(image_tag_args "$tags")
outputs="$(mktemp -d)/outputs.json"

npx cdk deploy "$stage/Data" --require-approval never --progress events --outputs-file "$outputs" "${args[@]}"
# output <name>: one output of the data stack, or nothing.
output() {
  node -e '
    const fs = require("fs");
    const [file, stack, name] = process.argv.slice(1);
    const outputs = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
    process.stdout.write((outputs[stack] ?? {})[name] ?? "");
  ' "$outputs" "$stage-Data" "$1"
}
bucket=$(output AssetsBucketName)
[ -n "$bucket" ] || die "the $stage/Data stack has no AssetsBucketName output"
if [ $# -gt 0 ] && [ -n "$(static_prefixes "$paths")" ]; then
  role=$(output AssetPublisherRoleArn)
  [ -n "$role" ] || die "the $stage/Data stack has no AssetPublisherRoleArn output (is toolingAccount set?)"
  # Publish as the stage account's publisher role; the credentials stay in this subshell.
  (
    # A role the Data deploy just created may take seconds to be assumable (IAM is eventually
    # consistent): try for about a minute before failing the step.
    creds=""
    for attempt in 1 2 3 4 5 6; do
      creds=$(aws sts assume-role --role-arn "$role" --role-session-name "publish-assets-$stage" \
        --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text) && break
      creds=""
      if [ "$attempt" -lt 6 ]; then sleep "${ASSUME_RETRY_SECONDS:-10}"; fi
    done
    [ -n "$creds" ] || die "could not assume $role"
    read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<<"$creds"
    [ -n "${AWS_SESSION_TOKEN:-}" ] || die "could not assume $role"
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    for dir in "$@"; do
      bash "$(dirname "$0")/publish-assets.sh" "$bucket" "$paths" "$dir"
    done
  )
fi
npx cdk deploy "$stage/*" --require-approval never --progress events "${args[@]}"
