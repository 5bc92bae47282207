"""Operator overview: what is deployed, running and waiting; and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_babel import lazy_gettext as _l

from engine import services
from webui import database
from webui.auth import role_required

bp = Blueprint("overview", __name__)
NAVIGATION = [
    (
        "overview.overview",
        _l("Vue d'ensemble"),
        ("supervisor", "quality", "process_owner", "auditor"),
    )
]


@bp.get("/overview")
@role_required("supervisor", "quality", "process_owner", "auditor")
def overview():
    uow = database().unit_of_work
    return render_template(
        "overview.html",
        versions=services.list_versions(uow(read_only=True)),
        instances=services.list_instances(uow(read_only=True), limit=50),
        tasks=services.list_tasks(uow(read_only=True), limit=50),
    )


@bp.get("/healthz")
def health():
    versions = services.list_versions(database().unit_of_work(read_only=True))
    return jsonify(status="ok", deployed_versions=len(versions))
