#!/bin/sh
# storage/ and bootstrap/cache are empty scratch volumes on a read-only root file system:
# create what Laravel writes, cache the configuration from this task's environment, then run.
set -e
mkdir -p storage/framework/cache/data storage/framework/sessions storage/framework/views storage/logs bootstrap/cache
php artisan config:cache
php artisan route:cache
php artisan view:cache
exec "$@"
