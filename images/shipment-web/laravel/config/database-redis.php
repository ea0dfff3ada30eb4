<?php

use Illuminate\Support\Str;

// The 'redis' entry of config/database.php for cluster-mode ElastiCache (Valkey) with TLS.
// Connections live under 'clusters' only: RedisManager::resolve() prefers a top-level
// 'default' or 'cache' key over 'clusters'. phpredis's cluster client takes the AUTH token
// from the cluster options, not from each seed; the tls:// URL gives each seed TLS.
return [
    'client' => env('REDIS_CLIENT', 'phpredis'),
    'options' => [
        'cluster' => env('REDIS_CLUSTER', 'redis'),
        'prefix' => env('REDIS_PREFIX', Str::slug(env('APP_NAME', 'laravel'), '_').'_database_'),
    ],
    'clusters' => [
        'options' => [
            'password' => env('REDIS_PASSWORD'),
        ],
        'default' => [
            ['url' => env('REDIS_URL'), 'database' => 0],
        ],
        'cache' => [
            ['url' => env('REDIS_URL'), 'database' => 0],
        ],
    ],
];
