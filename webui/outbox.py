"""The outbox page: every message written to customers, and whether it went out."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
