"""The client's own address, for throttles: the connection's peer unless trusted proxies stand between.

`TRUSTED_PROXY_COUNT` says how many reverse proxies of our own sit in front of the app (0: none).
Each appends the peer it saw to X-Forwarded-For, so only the last N entries are ours; anything the
client sent before them is ignored. With no header, or fewer entries than proxies, the connection's
peer is used.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    peer = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return peer
    return hops[-proxies]
