"""Who may use the admin API (API.md §9.4): the bearer of the deployment's admin token only.

The token comes from ``RAGCHAT_ADMIN_TOKEN`` (a Kubernetes Secret in the chart; ``ragchat dev``
generates ``.ragchat/admin_token``). A tenant's API key is refused with 104 (it is a valid
credential, just not for this), anything else with 103.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from ragchat_common.errors import PermissionDenied, Unauthenticated
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.authenticator import bearer_key
from ragchat_gateway.deps import BackendsDep


async def require_admin(request: Request, backends: BackendsDep) -> None:
    presented = bearer_key(request.headers.get("authorization"))
    expected = backends.settings.admin_token
    if expected and hmac.compare_digest(presented.encode(), expected.encode()):
        return
    if domain.looks_like_key(presented):
        try:
            await backends.auth.authenticate(presented)
        except Unauthenticated:
            pass
        else:
            raise PermissionDenied("API keys cannot use the admin API; send the admin token.")
    if not expected:
        raise Unauthenticated("The admin API is off: this gateway has no admin token (RAGCHAT_ADMIN_TOKEN).")
    raise Unauthenticated("Invalid admin token.")
