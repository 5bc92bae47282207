"""The studio, for process owners: process files, drafts, checks, deployment and migration."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")
