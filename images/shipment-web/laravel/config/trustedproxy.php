<?php

// Read by Laravel's TrustProxies middleware when no proxies are set in code
// ($this->proxies() ?: config('trustedproxy.proxies')); a comma-separated string is split.
// The stack passes the VPC range, where CloudFront's VPC origin and the internal ALB live.
return [
    'proxies' => env('TRUSTED_PROXIES'),
];
