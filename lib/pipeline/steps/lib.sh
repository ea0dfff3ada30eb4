# Shared by the pipeline step scripts (sourced, not run). Bash, `set -euo pipefail` by the caller.

# Prints a message to stderr and exits non-zero.
die() {
  echo "error: $*" >&2
  exit 1
}

# Logs Docker in to an ECR registry: ecr_login <registry host> <region>.
ecr_login() {
  aws ecr get-login-password --region "$2" | docker login --username AWS --password-stdin "$1"
}

# The digest of an image tag, or nothing when the tag does not exist (ImageNotFoundException);
# any other error (access denied, throttling) stops the step rather than passing for "not pushed":
# image_digest <region> <repository> <tag>.
image_digest() {
  local out err
  err=$(mktemp)
  if out=$(aws ecr describe-images --region "$1" --repository-name "$2" --image-ids "imageTag=$3" \
    --query 'imageDetails[0].imageDigest' --output text 2>"$err"); then
    rm -f "$err"
    printf '%s' "$out"
    return 0
  fi
  if grep -q ImageNotFoundException "$err"; then
    rm -f "$err"
    return 0
  fi
  cat "$err" >&2
  rm -f "$err"
  die "could not read $2:$3 from the registry"
}

# Turns `api=abc,web=def` into cdk arguments `-c imageTag.api=abc -c imageTag.web=def`
# (one per line, for `mapfile`).
image_tag_args() {
  local kv
  for kv in ${1//,/ }; do
    printf '%s\n' -c "imageTag.$kv"
  done
}

# CloudFront static path patterns (`/_next/static/*,/build/*`) as bucket key prefixes
# (`_next/static`, `build`), one per line.
static_prefixes() {
  local p
  for p in ${1//,/ }; do
    p="${p#/}"
    p="${p%\*}"
    p="${p%/}"
    [ -n "$p" ] && printf '%s\n' "$p"
  done
}
