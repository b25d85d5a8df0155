"""Administration pages (SPEC section 10): users, merchants and terminals, ladder deadlines, the QR account,
webhooks and a link to the message templates — what an admin manages without the command line."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from recoup.admin import registry_web, settings_web, users_web, webhooks_web
from recoup.auth.roles import Permission, may
from recoup.web.deps import WebUser
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin_index(request: Request, principal: WebUser) -> HTMLResponse:
    principal.require(Permission.MANAGE_MERCHANTS)
    return render(request, "admin/index.html", user=principal,
                  manage_users=may(principal.role, Permission.MANAGE_USERS))


# The pages of each file, on this router (the one the app mounts), as plain routes.
for _pages in (users_web, registry_web, settings_web, webhooks_web):
    router.routes.extend(_pages.router.routes)
