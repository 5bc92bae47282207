"""Languages: French first, English complete. The source texts are French; English is a catalogue.

The reader's language comes from their choice (kept in the session), else their browser's
preference, else French. Dates are shown in the organisation's time zone.
"""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import Babel, get_locale

from engine import config
from webui.arguments import safe_next

#: The languages of the interface (engine.config.LANGUAGES), each named in itself.
LANGUAGES = {
    code: Locale.parse(code).get_display_name(code).capitalize() for code in config.LANGUAGES
}
DEFAULT_LANGUAGE = config.DEFAULT_LANGUAGE

bp = Blueprint("i18n", __name__)
babel = Babel()


def select_language() -> str:
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def select_time_zone() -> str:
    return current_app.config["DOLEANCE_SETTINGS"].time_zone


def current_language() -> str:
    """The two-letter code pages and messages are written in right now."""
    return str(get_locale() or DEFAULT_LANGUAGE)


@bp.post("/language")
def choose_language():
    """Switch the interface language and come back to the page the reader was on."""
    language = request.form.get("language", "")
    if language in LANGUAGES:
        session["language"] = language
    return redirect(safe_next(request.form.get("next")))


def register(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_language, timezone_selector=select_time_zone)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)
    app.register_blueprint(bp)
