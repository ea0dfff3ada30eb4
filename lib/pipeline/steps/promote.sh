#!/usr/bin/env bash
# Promote step: marks each built image as promoted to a stage by adding the tag
# `<stage>-<commit>` to the same image (same digest) in the tooling registry. Repositories are
# IMMUTABLE, so a tag is written once: a re-run finds the marker on the same digest and does
# nothing; a marker on another digest is an error, never overwritten.
# Usage: promote.sh <region> <stage> <repository=tag>[,<repository=tag>...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || die "usage: promote.sh <region> <stage> <repository=tag>[,...]"
region="$1" stage="$2" images="$3"

for kv in ${images//,/ }; do
  repository="${kv%%=*}" tag="${kv#*=}" marker="$stage-${kv#*=}"
  digest=$(image_digest "$region" "$repository" "$tag")
  [ -n "$digest" ] || die "$repository:$tag is not in the registry (did its build push it?)"
  existing=$(image_digest "$region" "$repository" "$marker")
  if [ -n "$existing" ]; then
    [ "$existing" = "$digest" ] || die "$repository:$marker already names $existing, not $digest; tags are never overwritten"
    echo "$repository:$marker already promoted ($digest)"
    continue
  fi
  manifest=$(aws ecr batch-get-image --region "$region" --repository-name "$repository" \
    --image-ids "imageTag=$tag" --query 'images[0].imageManifest' --output text)
  [ -n "$manifest" ] && [ "$manifest" != None ] || die "$repository:$tag has no manifest"
  aws ecr put-image --region "$region" --repository-name "$repository" --image-tag "$marker" \
    --image-manifest "$manifest" >/dev/null
  echo "$repository:$marker -> $digest"
done
