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
bucket=$(node -e '
  const fs = require("fs");
  const [file, stack] = process.argv.slice(1);
  const outputs = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  process.stdout.write((outputs[stack] ?? {}).AssetsBucketName ?? "");
' "$outputs" "$stage-Data")
[ -n "$bucket" ] || die "the $stage/Data stack has no AssetsBucketName output"
for dir in "$@"; do
  "$(dirname "$0")/publish-assets.sh" "$bucket" "$paths" "$dir"
done
npx cdk deploy "$stage/*" --require-approval never --progress events "${args[@]}"
