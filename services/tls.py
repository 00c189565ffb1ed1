"""TLS settings for the HTTP clients, built once and only where a URL needs them.

Loading the CA bundle into a default context costs about 50 ms, and each httpx client builds its
own unless told otherwise: two clients meant a tenth of a second before the first paint. An https
URL gets one shared, fully verifying context. A plain http URL (the loopback sandbox) uses no TLS
at all; its client gets a context that still demands verification but trusts no authority, so it
could never be talked into an unverified connection.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def tls_context(url: str) -> ssl.SSLContext:
    if url.lower().startswith("https://"):
        return _verifying_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
