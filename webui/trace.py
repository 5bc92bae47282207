"""The trace, for auditors: the exact path of a complaint, its timeline, chain check, exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trace", __name__, url_prefix="/audit")
