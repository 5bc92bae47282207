"""The Flask application: thin views over the use cases of ``engine.services``."""

from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from engine.config import Settings
from engine.db.models import Base
from engine.db.session import prepare_engine
from engine.services import Database

db = SQLAlchemy(metadata=Base.metadata)
csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` may carry DOLEANCE_* settings and Flask options."""
    overrides = {k: v for k, v in (test_config or {}).items() if k.startswith("DOLEANCE_")}
    environ = {**os.environ, **overrides}
    settings = Settings.from_env(environ)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings.instance_dir.resolve()))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        DOLEANCE_SETTINGS=settings,
        DOLEANCE_TIME_ZONE=settings.time_zone,  # for display
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,  # room for the other fields
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.config.update(
        {k: v for k, v in (test_config or {}).items() if not k.startswith("DOLEANCE_")}
    )
    db.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        prepare_engine(db.engine)
        app.extensions["doleance"] = Database(db.engine, settings)

    from webui import (
        admin,
        arguments,
        audit,
        auth,
        complaints,
        errors,
        formatting,
        i18n,
        inbox,
        outbox,
        portal,
        security,
        studio,
        tasks,
        views,
    )

    arguments.register(app)
    auth.login_manager.init_app(app)
    i18n.register(app)
    formatting.register(app)
    errors.register(app)
    modules = (auth, inbox, tasks, complaints, outbox, studio, audit, admin, views, portal)
    for module in modules:
        app.register_blueprint(module.bp)
    app.config["NAVIGATION"] = [entry for m in modules for entry in getattr(m, "NAVIGATION", ())]
    security.register(app, environ)
    app.context_processor(_navigation)
    return app


def _navigation() -> dict:
    """The main menu: the pages of every blueprint that the signed-in user may open.

    A blueprint lists its entries in ``NAVIGATION`` as ``(endpoint, label, roles)``; admins
    see every entry.
    """
    from flask import current_app
    from flask_login import current_user

    def navigation() -> list[tuple[str, str]]:
        if not current_user.is_authenticated:
            return []
        return [
            (endpoint, str(label))
            for endpoint, label, roles in current_app.config["NAVIGATION"]
            if current_user.has_role(*roles, "admin")
        ]

    return {"navigation": navigation}


def database() -> Database:
    """The engine's database for the current app (use inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["doleance"]
