"""The customer portal (no account): file a complaint, follow it by its tracking link, answer."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
