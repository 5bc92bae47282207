"""The inbox: my tasks and my lanes' unclaimed tasks, due first."""

from __future__ import annotations

import math

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from engine import services
from webui import database
from webui.auth import login_manager, role_required

bp = Blueprint("inbox", __name__)

PAGE_SIZE = 50
MAX_TASKS = 5000  # list_tasks has no offset yet: the inbox pages over this many


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.works_tasks:
        return redirect(url_for("overview.overview"))
    return inbox()


@role_required("agent", "supervisor", "quality")
def inbox():
    query = request.args.get("q", "").strip()
    uow = database().unit_of_work(read_only=True)
    if current_user.has_role("admin"):  # admins work every lane
        tasks = services.list_tasks(uow, limit=MAX_TASKS)
    else:
        tasks = services.list_tasks(uow, user=current_user.username, limit=MAX_TASKS)
    if query:
        tasks = [t for t in tasks if _matches(t, query)]
    pages = max(1, math.ceil(len(tasks) / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template(
        "inbox.html",
        tasks=tasks[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(tasks),
        query=query,
        page=page,
        pages=pages,
    )


def _matches(task: services.TaskView, query: str) -> bool:
    """Search by complaint reference or customer name, ignoring case."""
    needle = query.casefold()
    customer = str(task.summary.get("customer_name") or "")
    return needle in task.reference.casefold() or needle in customer.casefold()
