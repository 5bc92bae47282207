"""Administration: people, their roles, and whether they may sign in.

Every change is one transaction of the engine, recorded in the ``system`` audit trail.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import services
from engine.errors import InvalidInput, NotAllowed
from webui import database
from webui.auth import role_required
from webui.words import ROLE_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")
NAVIGATION = [("admin.users", _l("Utilisateurs"), ("admin",))]


@bp.get("/users")
@role_required("admin")
def users():
    return _users_page({}, {})


@bp.post("/users")
@role_required("admin")
def add_user():
    entered = {
        "username": request.form.get("username", "").strip(),
        "display_name": request.form.get("display_name", "").strip(),
        "roles": request.form.getlist("roles"),
    }
    password = request.form.get("password", "")
    errors = _new_user_problems(entered, password)
    if not errors:
        try:
            services.create_user(
                entered["username"],
                entered["roles"],
                database().unit_of_work(),
                display_name=entered["display_name"] or None,
                password=password,
                actor=current_user.username,
            )
        except InvalidInput as error:
            errors = {"username": [str(error)]}
    if errors:
        return _users_page(entered, errors), 422
    flash(
        _(
            "%(name)s peut maintenant se connecter avec l'identifiant « %(username)s ».",
            name=entered["display_name"] or entered["username"],
            username=entered["username"],
        ),
        "success",
    )
    return redirect(url_for("admin.users"))


@bp.get("/users/<username>")
@role_required("admin")
def user(username: str):
    return _user_page(username)


@bp.post("/users/<username>/roles")
@role_required("admin")
def set_roles(username: str):
    roles = request.form.getlist("roles")
    if not roles:
        return _user_page(username, _("Donnez au moins un rôle.")), 422
    try:
        services.set_user_roles(username, roles, current_user.username, database().unit_of_work())
    except NotAllowed:
        return _user_page(
            username,
            _(
                "Vous ne pouvez pas retirer votre propre rôle d'administrateur : "
                "demandez-le à un autre administrateur."
            ),
        ), 409
    flash(_("Les rôles de %(username)s sont enregistrés.", username=username), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/active")
@role_required("admin")
def set_active(username: str):
    active = request.form.get("active") == "yes"
    try:
        services.set_user_active(username, active, current_user.username, database().unit_of_work())
    except NotAllowed:
        return _user_page(
            username,
            _(
                "Vous ne pouvez pas désactiver votre propre compte : "
                "demandez-le à un autre administrateur."
            ),
        ), 409
    if active:
        flash(_("%(username)s peut de nouveau se connecter.", username=username), "success")
    else:
        flash(
            _(
                "%(username)s ne peut plus se connecter ; une session ouverte se ferme à sa "
                "prochaine action.",
                username=username,
            ),
            "success",
        )
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/password")
@role_required("admin")
def reset_password(username: str):
    try:
        services.reset_password(
            username,
            request.form.get("password", ""),
            current_user.username,
            database().unit_of_work(),
        )
    except InvalidInput:
        return _user_page(username, _password_too_short()), 422
    flash(
        _(
            "Le mot de passe de %(username)s est changé : communiquez-le lui par un moyen sûr.",
            username=username,
        ),
        "success",
    )
    return redirect(url_for("admin.user", username=username))


def _new_user_problems(entered: dict, password: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    username = entered["username"]
    if not username or len(username) > 120 or any(c.isspace() for c in username):
        errors["username"] = [_("Un identifiant de 1 à 120 caractères, sans espace.")]
    elif services.find_user(username, _read()) is not None:
        errors["username"] = [_("Cet identifiant est déjà pris.")]
    if not entered["roles"]:
        errors["roles"] = [_("Donnez au moins un rôle.")]
    try:
        services.check_new_password(password)
    except InvalidInput:
        errors["password"] = [_password_too_short()]
    return errors


def _password_too_short() -> str:
    return _("Au moins %(count)d caractères.", count=services.MIN_PASSWORD_LENGTH)


def _read():
    return database().unit_of_work(read_only=True)


def _roles() -> list[tuple[str, str]]:
    return [(r.name, str(ROLE_LABELS.get(r.name, r.label))) for r in services.list_roles(_read())]


def _users_page(entered: dict, errors: dict[str, list[str]]):
    return render_template(
        "admin/users.html",
        users=services.list_users(_read()),
        roles=_roles(),
        entered=entered,
        errors=errors,
        min_password=services.MIN_PASSWORD_LENGTH,
    )


def _user_page(username: str, error: str | None = None):
    record = services.find_user(username, _read())
    if record is None:
        abort(404)
    return render_template(
        "admin/user.html",
        person=record,
        roles=_roles(),
        error=error,
        itself=record.username == current_user.username,
        min_password=services.MIN_PASSWORD_LENGTH,
    )
