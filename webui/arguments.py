"""What a request carries, made safe for the database before any view reads it.

Numbers: Python's integers have no limit, but every number a URL carries ends up in an SQL
query, and the databases' integers do (PostgreSQL's INTEGER columns stop at 2**31 - 1). A path
number beyond :data:`LARGEST` names nothing, so its URL matches no page (404); a query-string
number beyond it reads as the bound (page 10**20 is the last page).

Text: PostgreSQL cannot store the NUL character, and no form has a use for it; a request with
one in its path, query string, form fields or JSON body is refused (400) before any view runs.
Uploaded files are not text and are not looked at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, ValidationError

from engine.db.session import holds_nul
from webui.errors import error_page

LARGEST = 2**31 - 1  # the largest value an SQL INTEGER holds, on every database we support


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` that matches only numbers an SQL INTEGER holds."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not -LARGEST <= number <= LARGEST:
            raise ValidationError()
        return number


def whole_number(text: str) -> int:
    """A query string's number, brought within ±LARGEST: ``args.get("page", 1, type=whole_number)``.

    Not a number raises ValueError, so ``args.get`` gives its default instead.
    """
    return max(-LARGEST, min(int(text), LARGEST))


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the inbox (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("inbox.home")


def page_size() -> int:
    """How many rows a page of a list shows (``DOLEANCE_PAGE_SIZE``)."""
    return current_app.config["DOLEANCE_SETTINGS"].page_size


@dataclass(frozen=True)
class Page:
    """One page of a list: its number (from 1), how many pages there are, and its rows."""

    number: int
    count: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_of(total: int) -> Page:
    """The page the query string asks for (``?page=``), brought within the pages that
    ``total`` rows fill (past the end: the last one)."""
    size = page_size()
    count = max(1, math.ceil(total / size))
    number = min(max(request.args.get("page", 1, type=whole_number), 1), count)
    return Page(number, count, size)


def register(app: Flask) -> None:
    """Make every ``<int:…>`` of the app bounded (call before registering blueprints) and
    refuse requests with a NUL character."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_refuse_nul)


def _refuse_nul():
    texts = [request.path, *request.args.items(multi=True), *request.form.items(multi=True)]
    if request.is_json:
        texts.append(request.get_json(silent=True))
    if holds_nul(texts):
        return error_page(
            400,
            _(
                "La demande contient un caractère nul (\\0), qu'aucun champ n'accepte : "
                "revenez en arrière, retirez-le (souvent collé par erreur) et recommencez."
            ),
        )
    return None
