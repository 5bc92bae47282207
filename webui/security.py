"""Response headers every page carries, and the limit on failed sign-ins.

The Content-Security-Policy lives here and only here: pages load scripts and styles from this
site alone, never inline. A page that truly needs more (a diagram editor that writes ``style``
attributes, say) relaxes one directive for itself with :func:`relax_policy`.

Failed sign-ins slow down per account and address, not per address alone
(:mod:`webui.sign_ins`); their counters live in memory unless ``DOLEANCE_RATELIMIT_STORAGE_URL``
names a shared store (e.g. ``redis://host:6379``), which several web processes need.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, g

from webui import sign_ins

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def relax_policy(**directives: str) -> None:
    """Replace CSP directives for the current response only, e.g.
    ``relax_policy(style_src_attr="'unsafe-inline'")`` (underscores stand for dashes)."""
    overrides = g.setdefault("csp_overrides", {})
    overrides.update({name.replace("_", "-"): value for name, value in directives.items()})


def policy_header(overrides: Mapping[str, str] | None = None) -> str:
    directives = {**CONTENT_SECURITY_POLICY, **(overrides or {})}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def register(app: Flask, environ: Mapping[str, str]) -> None:
    """Install the headers and the sign-in limits; ``environ`` is what the factory read."""
    settings = app.config["DOLEANCE_SETTINGS"]
    if environ.get("DOLEANCE_RATELIMIT_STORAGE_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = environ["DOLEANCE_RATELIMIT_STORAGE_URL"]
    if settings.public_url.startswith("https://"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)

    @app.after_request
    def add_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy", policy_header(g.get("csp_overrides"))
        )
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    sign_ins.register(app)
