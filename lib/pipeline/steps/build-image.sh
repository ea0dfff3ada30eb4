#!/usr/bin/env bash
# Image build step, run in the application repository's checkout. Builds the test target (the
# app's suite runs in it), the app image and its nginx sidecar; checks the image contract
# (check-image.sh); extracts its static files, laid out by the URL paths CloudFront serves from
# the assets bucket, into <out> for the deploy steps; only then pushes.
#
# Repositories are IMMUTABLE: when the commit's tag is already in the registry (a re-run), the
# pushed image is pulled and checked instead, and nothing is built or pushed.
#
# Usage: build-image.sh --registry <host> --region <region> --repository <name> --tag <tag>
#          --runtime laravel|nextjs --port <port> --health-path <path> --static-paths </a/*,/b/*>
#          --out <dir> [--nginx-sidecar true] [--user <user>] [--read-only <scratch paths>]
#          [--nginx-read-only <scratch paths>]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

registry='' region='' repository='' tag='' runtime='' port='' health='' paths='' out='' sidecar=false
user='' readonly_paths='' nginx_readonly=''
while [ $# -gt 0 ]; do
  case "$1" in
    --registry) registry="$2" ;;
    --region) region="$2" ;;
    --repository) repository="$2" ;;
    --tag) tag="$2" ;;
    --runtime) runtime="$2" ;;
    --port) port="$2" ;;
    --health-path) health="$2" ;;
    --static-paths) paths="$2" ;;
    --out) out="$2" ;;
    --nginx-sidecar) sidecar="$2" ;;
    --user) user="$2" ;;
    --read-only) readonly_paths="$2" ;;
    --nginx-read-only) nginx_readonly="$2" ;;
    *) die "build-image.sh: unknown argument $1" ;;
  esac
  shift 2
done
for v in registry region repository tag runtime port health out; do
  [ -n "${!v}" ] || die "build-image.sh: --${v/health/health-path} is required"
done

app="$registry/$repository:$tag"
nginx="$registry/$repository-nginx:$tag"
ecr_login "$registry" "$region"

pushed=false
have_app=$(image_digest "$region" "$repository" "$tag")
have_nginx=""
[ "$sidecar" != true ] || have_nginx=$(image_digest "$region" "$repository-nginx" "$tag")
if [ -n "$have_app" ] && { [ "$sidecar" != true ] || [ -n "$have_nginx" ]; }; then
  echo "$app is already in the registry: checking it, building nothing"
  pushed=true
  docker pull "$app"
  [ "$sidecar" != true ] || docker pull "$nginx"
else
  # A tag is immutable: an image already pushed (a run that failed half-way) is pulled and
  # checked with the rest, never rebuilt beside it, so the pair checked is the pair deployed.
  if [ -n "$have_app" ]; then
    docker pull "$app"
  else
    docker build --target test -t "local/$repository-test:$tag" .
    docker build --target app -t "$app" .
  fi
  if [ "$sidecar" = true ]; then
    if [ -n "$have_nginx" ]; then docker pull "$nginx"; else docker build --target nginx -t "$nginx" .; fi
  fi
fi

check=(--image "$app" --port "$port" --health-path "$health")
[ -z "$user" ] || check+=(--user "$user")
[ -z "$readonly_paths" ] || check+=(--read-only "$readonly_paths")
[ "$runtime" != laravel ] || check+=(--env "APP_KEY=base64:$(head -c 32 /dev/urandom | base64)" --env LOG_CHANNEL=stderr)
if [ "$sidecar" = true ]; then
  check+=(--nginx "$nginx")
  [ -z "$nginx_readonly" ] || check+=(--nginx-read-only "$nginx_readonly")
fi
bash "$here/check-image.sh" "${check[@]}"

# Static files: where each served prefix lives in the image (Next.js keeps `_next/static` in
# `.next/static`; everything else is under the web root `public/`).
mkdir -p "$out"
workdir=$(docker inspect --format '{{.Config.WorkingDir}}' "$app")
[ -n "$workdir" ] || workdir=/
container=$(docker create "$app")
found=0
while read -r prefix; do
  if [ "$runtime" = nextjs ] && [ "$prefix" = _next/static ]; then src="$workdir/.next/static"; else src="$workdir/public/$prefix"; fi
  mkdir -p "$out/$(dirname "$prefix")"
  if docker cp "$container:$src" "$out/$prefix" >/dev/null 2>&1; then
    echo "static: $src -> /$prefix/"
    found=$((found + 1))
  elif [ "$runtime" = nextjs ] && [ "$prefix" = _next/static ]; then
    docker rm -f "$container" >/dev/null
    die "$app has no $src: CloudFront serves /_next/static/* from the assets bucket, so every page would load without its scripts"
  fi
done < <(static_prefixes "$paths")
docker rm -f "$container" >/dev/null
echo "$app" >"$out/IMAGE"
echo "static: $found of the served paths found in $app"

if [ "$pushed" = false ]; then
  # Each repository on its own: tags are immutable, so a run that pushed the app but failed on
  # the sidecar must finish with the sidecar, not be refused (ImageTagAlreadyExistsException)
  # by the tag it already pushed.
  [ -n "$have_app" ] || docker push "$app"
  [ "$sidecar" != true ] || [ -n "$have_nginx" ] || docker push "$nginx"
fi
