"""Response headers every page gets, and the nonce inline scripts must carry."""
from __future__ import annotations

import secrets

from flask import Flask, g, request


def nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


# The modeler and form editor set inline styles; scripts only from us or with this request's nonce.
_PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# JSON, files and the like run nothing: nothing may load, nothing may frame them.
_DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def install(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.after_request
    def _headers(response):
        """Added where the view did not set its own (a sandboxed diagram sets a stricter policy). Every API answer
        pays for this, so the header list is walked once and the fixed values are built once."""
        headers = response.headers
        present = {key.lower() for key in headers.keys()}
        page = response.mimetype == "text/html"
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", _PAGE_POLICY.format(nonce=nonce()) if page else _DATA_POLICY)
        for key, value in _ALWAYS:
            if key.lower() not in present:
                headers.add(key, value)
        if request.is_secure and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000")
        if (page or request.path.startswith("/api/")) and "cache-control" not in present:
            headers.add("Cache-Control", "no-store")
        return response
