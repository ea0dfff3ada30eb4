#!/usr/bin/env bash
# Image contract check: starts an image the way its ECS task does (as the configured user, with a
# read-only root file system and the task's scratch paths writable, the nginx sidecar sharing
# its network) and checks what the stack assumes of it: it answers its health path on its port,
# and it runs as the configured user.
#
# Usage: check-image.sh --image <ref> --port <port> --health-path <path>
#          [--user <user>] [--read-only <scratch,paths>] [--nginx <ref>] [--nginx-read-only <paths>]
#          [--env KEY=VALUE]...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

image='' port='' health='' user='' readonly_paths='' nginx='' nginx_readonly='' envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --image) image="$2" ;;
    --port) port="$2" ;;
    --health-path) health="$2" ;;
    --user) user="$2" ;;
    --read-only) readonly_paths="$2" ;;
    --nginx) nginx="$2" ;;
    --nginx-read-only) nginx_readonly="$2" ;;
    --env) envs+=(-e "$2") ;;
    *) die "check-image.sh: unknown argument $1" ;;
  esac
  shift 2
done
[ -n "$image" ] && [ -n "$port" ] && [ -n "$health" ] || die "check-image.sh: --image, --port and --health-path are required"

# Read-only root plus writable scratch paths, as the task definition mounts them. Anonymous
# volumes, not tmpfs: like an ECS task volume, a Docker volume starts with the image's contents and
# ownership only where the image declares the path a VOLUME, else root-owned (ECS developer guide,
# bind mounts), so an image that forgot its VOLUME line fails here as it would on Fargate.
fs_args() {
  [ -n "$1" ] || return 0
  local p
  printf '%s\n' --read-only
  for p in ${1//,/ }; do printf '%s\n' -v "$p"; done
}

containers=()
cleanup() { [ ${#containers[@]} -eq 0 ] || docker rm -f "${containers[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

mapfile -t app_fs < <(fs_args "$readonly_paths")
run_args=(-d "${envs[@]}" "${app_fs[@]}" -p "127.0.0.1::$port")
[ -z "$user" ] || run_args+=(--user "$user")
main=$(docker run "${run_args[@]}" "$image") || die "$image does not start${user:+ as user $user}"
containers+=("$main")
if [ -n "$nginx" ]; then
  mapfile -t nginx_fs < <(fs_args "$nginx_readonly")
  side=$(docker run -d "${nginx_fs[@]}" --network "container:$main" "$nginx") || die "$nginx does not start"
  containers+=("$side")
fi

address=$(docker port "$main" "$port/tcp" | head -n 1)
url="http://$address$health"
if ! curl --fail --silent --show-error --retry 10 --retry-delay 3 --retry-all-errors --max-time 5 -o /dev/null "$url"; then
  docker logs "$main" >&2 || true
  die "$image does not answer its health path $health on port $port ($url)"
fi
echo "contract: $image answers $health on port $port"

if [ -n "$user" ]; then
  want="${user%%:*}"
  case "$want" in
    *[!0-9]*) flag=-un ;;
    *) flag=-u ;;
  esac
  if actual=$(docker exec "$main" id "$flag" 2>/dev/null); then
    [ "$actual" = "$want" ] || die "$image runs as '$actual', but the task runs it as '$user'"
    echo "contract: $image runs as $user"
  else
    # Images without `id` (distroless): it started with --user and answered, which is the contract.
    echo "contract: $image started as $user and answered (no 'id' in the image to confirm)"
  fi
fi
