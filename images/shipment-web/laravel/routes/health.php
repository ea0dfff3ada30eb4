<?php

use Illuminate\Support\Facades\Route;

// Laravel 10 has no built-in /up: the load balancer and the container check this route.
// Include it from routes/web.php. It touches no session, cache or database, so a slow
// dependency never takes every task out of the load balancer at once.
Route::get('/health', fn () => response('ok', 200))->withoutMiddleware([
    \App\Http\Middleware\EncryptCookies::class,
    \Illuminate\Session\Middleware\StartSession::class,
    \Illuminate\View\Middleware\ShareErrorsFromSession::class,
    \App\Http\Middleware\VerifyCsrfToken::class,
]);
