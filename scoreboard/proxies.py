"""Who a request comes from, behind the TLS proxies of a deployment (settings.TRUSTED_PROXY_COUNT).

Each proxy appends the address it received the request from to X-Forwarded-For, so with N
proxies of ours in front, the client is the N-th address from the right: what a client writes
into the header itself stands further left and is never believed. Without proxies (the count
is 0, or the header is shorter than the chain), the client is REMOTE_ADDR.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # not through the chain of proxies we trust
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
