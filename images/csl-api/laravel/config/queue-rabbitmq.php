<?php

// The `rabbitmq` entry of config/queue.php's 'connections' for
// vladimir-yuldashev/laravel-queue-rabbitmq: Amazon MQ speaks AMQPS only, so 'secure' is on
// (the driver reads no variable for it) and the peer is verified.
return [
    'driver' => 'rabbitmq',
    'queue' => env('RABBITMQ_QUEUE', 'default'),
    'hosts' => [
        [
            'host' => env('RABBITMQ_HOST'),
            'port' => env('RABBITMQ_PORT', 5671),
            'user' => env('RABBITMQ_USER'),
            'password' => env('RABBITMQ_PASSWORD'),
            'vhost' => env('RABBITMQ_VHOST', '/'),
        ],
    ],
    'secure' => true,
    'options' => [
        'ssl_options' => [
            'verify_peer' => env('RABBITMQ_SSL_VERIFY_PEER', true),
        ],
    ],
    'worker' => env('RABBITMQ_WORKER', 'default'),
];
