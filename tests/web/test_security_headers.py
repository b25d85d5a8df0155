"""Every answer carries the security headers (issue 10, defect 11); HSTS only over TLS; the pages need no inline
script or style, so the Content-Security-Policy can forbid them."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import recoup
from recoup.config import Settings
from recoup.db import Database
from recoup.web.app import create_app
from recoup.web.headers import CONTENT_SECURITY_POLICY

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TEMPLATES = Path(recoup.__file__).parent / "web" / "templates"
EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def test_the_policy_allows_no_inline_script_style_or_framing() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives == {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
                          "img-src": "'self' data:", "frame-ancestors": "'none'", "base-uri": "'self'",
                          "form-action": "'self'"}


@SQLITE
def test_every_kind_of_answer_carries_the_headers(client: TestClient) -> None:
    answers = {
        "login page": client.get("/login"),
        "redirect to login": client.get("/", follow_redirects=False),
        "static file": client.get("/static/recoup.css"),
        "missing page": client.get("/no-such-page"),
        "API refusal": client.get("/api/v1/imports"),
        "API validation": client.post("/api/v1/auth/login", json={}),
        "too large": client.post("/api/v1/auth/login", content=b"x" * (2 << 20)),
        "OpenAPI": client.get("/api/v1/openapi.json"),
    }
    for what, answer in answers.items():
        assert {name: answer.headers.get(name) for name in EXPECTED} == EXPECTED, what
        assert "strict-transport-security" not in answer.headers, what  # plain HTTP: no HSTS


@SQLITE
def test_hsts_only_over_tls(settings: Settings, database: Database) -> None:
    app = create_app(settings, database)
    over_tls = TestClient(app, base_url="https://testserver").get("/login")
    assert over_tls.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert over_tls.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    forged = TestClient(app).get("/login", headers={"x-forwarded-proto": "https"})  # not a trusted proxy
    assert "strict-transport-security" not in forged.headers


@SQLITE
def test_the_api_documentation_page_runs_only_its_own_inline_script(client: TestClient) -> None:
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY"


def test_no_template_has_inline_script_style_or_event_handler() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:|hx-on",
                        re.IGNORECASE)
    found = [(path.relative_to(TEMPLATES).as_posix(), match.group(0)) for path in TEMPLATES.rglob("*.html")
             for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


@SQLITE
def test_htmx_is_told_not_to_eval_or_inject_styles(client: TestClient) -> None:
    page = client.get("/login").text
    assert ('<meta name="htmx-config" content=\'{"allowEval": false, "allowScriptTags": false, '
            '"includeIndicatorStyles": false}\'>') in page
    assert '<script src="/static/recoup.js" defer></script>' in page
