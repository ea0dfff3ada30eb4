#!/usr/bin/env bash
# Smoke step: each URL (comma-separated) answers 2xx/3xx, with retries while DNS and the CDN
# settle. Usage: smoke.sh <url>[,<url>...]
set -euo pipefail
urls="${1:?usage: smoke.sh <url>[,<url>...]}"
for url in ${urls//,/ }; do
  echo "GET $url"
  curl --fail --silent --show-error --retry 5 --retry-delay 10 --retry-all-errors -o /dev/null "$url"
done
