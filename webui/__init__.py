"""The Flask application: thin views over engine.services."""

from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from engine.cli import register_engine_commands
from engine.config import Settings
from engine.db import Database, prepare_engine
from engine.models import Base

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
        DOLEANCE_TIME_ZONE=environ.get("DOLEANCE_TIME_ZONE", "Europe/Paris"),  # for display
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

    from webui import auth, complaints, errors, formatting, inbox, tasks, views

    auth.login_manager.init_app(app)
    formatting.register(app)
    errors.register(app)
    for module in (auth, inbox, tasks, complaints, views):
        app.register_blueprint(module.bp)
    register_engine_commands(app.cli)
    return app


def database() -> Database:
    """The engine's database for the current app (use inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["doleance"]
