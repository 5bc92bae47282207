"""Numbers read from URLs, bounded: a path's ``<int:…>`` and a query string's ``?page=…``.

Python's integers have no limit, but every number a URL carries ends up in an SQL query,
and the databases' integers do (PostgreSQL's INTEGER columns stop at 2**31 - 1). A path
number beyond :data:`LARGEST` names nothing, so its URL matches no page (404); a query-string
number beyond it reads as the bound (page 10**20 is the last page).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, ValidationError

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


def register(app: Flask) -> None:
    """Make every ``<int:…>`` of the app bounded (call before registering blueprints)."""
    app.url_map.converters["int"] = BoundedIntegerConverter
