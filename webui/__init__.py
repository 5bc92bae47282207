"""The Flask application: thin views over engine.services."""

from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from engine.cli import register_engine_commands
from engine.config import Settings
from engine.db import Database, prepare_engine
from engine.models import Base

db = SQLAlchemy(metadata=Base.metadata)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` may carry DOLEANCE_* settings and Flask options."""
    overrides = {k: v for k, v in (test_config or {}).items() if k.startswith("DOLEANCE_")}
    settings = Settings.from_env({**os.environ, **overrides})
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings.instance_dir.resolve()))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        DOLEANCE_SETTINGS=settings,
    )
    app.config.update(
        {k: v for k, v in (test_config or {}).items() if not k.startswith("DOLEANCE_")}
    )
    db.init_app(app)
    with app.app_context():
        prepare_engine(db.engine)
        app.extensions["doleance"] = Database(db.engine, settings)

    from webui import views

    app.register_blueprint(views.bp)
    register_engine_commands(app.cli)
    return app


def database() -> Database:
    """The engine's database for the current app (use inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["doleance"]
