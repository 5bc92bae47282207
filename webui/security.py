"""Response headers every page carries, and the limit on failed sign-ins.

The Content-Security-Policy lives here and only here: pages load scripts and styles from this
site alone, never inline. A page that truly needs more (a diagram editor that writes ``style``
attributes, say) relaxes one directive for itself with :func:`relax_policy`.

Failed sign-ins are limited per account and address, and per address (Flask-Limiter); a
locked account is refused even with the right password until the window passes. The counters
live in memory unless ``DOLEANCE_RATELIMIT_STORAGE_URL`` names a shared store (e.g.
``redis://host:6379``), which several web processes need.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

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
LOGIN_ENDPOINT = "auth.login"
DEFAULTS = {
    "LOGIN_LIMIT_PER_ACCOUNT": "10 per 15 minutes",  # failed sign-ins, per user name and address
    "LOGIN_LIMIT_PER_ADDRESS": "50 per 15 minutes",  # failed sign-ins from one address
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After tells the browser how long to wait
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
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
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

    _limit_sign_ins(app)


def _limit_sign_ins(app: Flask) -> None:
    limiter = Limiter(get_remote_address, app=app)
    app.extensions["doleance_limiter"] = limiter  # the view wrappers hold it weakly only
    failed = _sign_in_failed
    login = app.view_functions[LOGIN_ENDPOINT]
    login = limiter.limit(
        app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=_account_and_address,
        methods=["POST"],
        deduct_when=failed,
        scope="login-account",
    )(login)
    login = limiter.limit(
        app.config["LOGIN_LIMIT_PER_ADDRESS"],
        methods=["POST"],
        deduct_when=failed,
        scope="login-address",
    )(login)
    app.view_functions[LOGIN_ENDPOINT] = login

    @app.errorhandler(RateLimitExceeded)
    def too_many_sign_ins(error):
        from webui.errors import error_page

        return error_page(
            429,
            _(
                "Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est "
                "bloquée pour quelques minutes, même avec le bon mot de passe. Réessayez plus "
                "tard ou demandez à un administrateur de vérifier votre compte."
            ),
        )


def _sign_in_failed(response) -> bool:
    return response.status_code == 401


def _account_and_address() -> str:
    username = request.form.get("username", "").strip().lower()
    return f"{username}@{get_remote_address()}"
