"""Helpers of the complaint page tests: the public form's token, filing through the page (staff log in with
tests.support.web_login.log_in)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from recoup.complaints.rules import MAX_PHOTO_BYTES

CODE = re.compile(r'data-testid="tracking-code">([A-Za-z0-9_-]+)<')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
assert len(PNG) < MAX_PHOTO_BYTES


def form_token(client: TestClient, merchant_id: str, lang: str = "") -> str:
    page = client.get(f"/c/{merchant_id}" + (f"?lang={lang}" if lang else ""))
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def post_complaint(client: TestClient, merchant_id: str, token: str, *, description: str = "charged twice",
                   amount: str = "128.00", when: str = "2026-11-02T14:30", last4: str = "4321", contact: str = "",
                   website: str = "", photo: tuple[str, bytes, str] | None = None) -> tuple[int, str]:
    data = {"merchant_id": merchant_id, "amount": amount, "when": when, "last4": last4,
            "description": description, "contact": contact, "website": website, "csrf_token": token}
    files = {"photo": photo} if photo else {"photo": ("", b"", "application/octet-stream")}
    answer = client.post("/c/file", data=data, files=files)
    return answer.status_code, answer.text


def tracking_code(html: str) -> str:
    found = CODE.search(html)
    assert found is not None, html
    return found.group(1)
