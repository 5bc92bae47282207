"""The inbox: my tasks and my lanes' unclaimed tasks, due first."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import services
from webui import database
from webui.arguments import page_of
from webui.auth import login_manager, role_required
from webui.formatting import Vocabulary

bp = Blueprint("inbox", __name__)
NAVIGATION = [("inbox.home", _l("Mes tâches"), ("agent", "supervisor", "quality"))]

SORTS = {"due": _l("Échéance la plus proche"), "created": _l("Plus anciennes d'abord")}


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
    lanes = sorted(current_user.lanes)
    lane = request.args.get("lane") if request.args.get("lane") in lanes else None
    mine = request.args.get("mine") == "1"
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "due"
    uow = database().unit_of_work
    admin = current_user.has_role("admin")
    user = current_user.username if mine or not admin else None  # admins: every lane
    task_filter = services.TaskFilter(user=user, search=query or None, lane=lane, mine=mine)
    total = services.count_tasks(uow(read_only=True), task_filter)
    page = page_of(total)
    tasks = services.list_tasks(
        uow(read_only=True),
        user=user,
        search=query or None,
        lane=lane,
        mine=mine,
        sort=sort,
        limit=page.size,
        offset=page.offset,
    )
    criteria = {"q": query or None, "lane": lane, "mine": "1" if mine else None}
    if sort != "due":
        criteria["sort"] = sort
    return render_template(
        "inbox.html",
        tasks=tasks,
        total=total,
        query=query,
        lanes=lanes,
        lane=lane,
        mine=mine,
        sort=sort,
        sorts=SORTS,
        criteria=criteria,
        page=page.number,
        pages=page.count,
        vocabulary=Vocabulary(services.form_definitions(uow(read_only=True))),
    )
