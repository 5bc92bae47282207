"""Signing in and out, the current user, and the role check every page makes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from engine import clock, services
from webui import database, sign_ins
from webui.arguments import safe_next
from webui.formatting import clock_time, how_long

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
login_manager.localize_callback = str  # translated when flashed, in the reader's language
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


class SignedInUser(UserMixin):
    """The engine's UserView, as Flask-Login wants it."""

    def __init__(self, view: services.UserView):
        self.view = view

    def get_id(self) -> str:
        return self.view.username

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)


@login_manager.user_loader
def load_user(username: str) -> SignedInUser | None:
    view = services.get_user(username, database().unit_of_work(read_only=True))
    return SignedInUser(view) if view else None


def role_required(*roles: str) -> Callable:
    """Signed-in users with one of ``roles`` (admins always) may open the page; others get 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles, "admin"):
                abort(403)
            return view(*args, **kwargs)

        checked.roles = roles
        return checked

    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method != "POST" and current_user.is_authenticated:
        return redirect(url_for("inbox.home"))
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        throttle, address = sign_ins.throttle(), get_remote_address()
        wait = throttle.wait(username, address)
        if wait is not None:
            return _too_many_failures(username, wait)
        view = services.authenticate(
            username, request.form.get("password", ""), database().unit_of_work(read_only=True)
        )
        if view is not None:
            throttle.succeeded(username, address)
            next_page = safe_next(request.args.get("next"))
            session.clear()  # a fresh session: nothing from before signing in carries over
            login_user(SignedInUser(view))
            flash(_("Bienvenue, %(name)s.", name=view.display_name), "success")
            return redirect(next_page)
        throttle.failed(username, address)
        flash(_("Identifiant ou mot de passe incorrect."), "error")
        return render_template("login.html", username=username), 401
    return render_template("login.html", username=username)


def _too_many_failures(username: str, wait: sign_ins.Wait):
    """The sign-in page again, saying until when tries are refused (the password unchecked)."""
    flash(
        _(
            "Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est "
            "suspendue jusqu'à %(time)s (dans %(wait)s), même avec le bon mot de passe. "
            "Réessayez à ce moment-là, ou demandez à un administrateur de vérifier votre compte.",
            time=clock_time(clock.now() + timedelta(seconds=wait.seconds)),
            wait=how_long(wait.seconds),
        ),
        "error",
    )
    page = render_template("login.html", username=username)
    return page, 429, {"Retry-After": str(wait.seconds)}


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("auth.login"))
