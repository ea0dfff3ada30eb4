#!/usr/bin/env bash
# Uploads an image's static files (extracted by build-image.sh, laid out by URL path) to the
# stage's assets bucket under the key prefixes CloudFront serves from it. Copies only: nothing
# is deleted, so during a blue/green deploy the files of both versions are there; hashed names
# of old builds are left to the bucket's lifecycle.
# Usage: publish-assets.sh <bucket> <static paths /a/*,/b/*> <dir>
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || die "usage: publish-assets.sh <bucket> <static paths> <dir>"
bucket="$1" paths="$2" dir="$3"

while read -r prefix; do
  [ -d "$dir/$prefix" ] || continue
  # Hashed build output (Next.js, Vite) never changes under one name; anything else may.
  case "$prefix" in
    _next/static | build) cache='public, max-age=31536000, immutable' ;;
    *) cache='public, max-age=300' ;;
  esac
  echo "upload $dir/$prefix -> s3://$bucket/$prefix/"
  aws s3 cp "$dir/$prefix" "s3://$bucket/$prefix/" --recursive --only-show-errors --cache-control "$cache"
done < <(static_prefixes "$paths")
