"""One vocabulary: every kind of event the engine records has its words on every page, the
complaint file tells each one in a sentence, and one list of languages rules them all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import config
from engine.config import PROJECT_ROOT
from engine.trail import audit
from engine.trail.events import EVENT_KINDS
from engine.trail.timeline import TimelineEntry
from webui import create_app, i18n
from webui.formatting import Vocabulary
from webui.timeline import Timeline
from webui.words import EVENT_LABELS


def test_every_kind_of_event_has_its_name_on_screen_and_no_more():
    assert sorted(EVENT_LABELS) == sorted(EVENT_KINDS)


def test_the_trail_records_only_kinds_of_event_the_screens_know(deployed, database):
    with database.unit_of_work() as unit, pytest.raises(ValueError, match="not an event kind"):
        audit.append(unit.session, None, "something_new", "alice")


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_the_complaint_file_tells_every_kind_of_event_in_a_sentence(kind, settings):
    app = create_app(
        {
            "TESTING": True,
            "DOLEANCE_DATABASE_URL": settings.database_url,
            "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
        }
    )
    entry = TimelineEntry(
        1, datetime(2026, 11, 23, 9, tzinfo=UTC), "alice", kind, "complaint", "e", "Step", {}, []
    )

    with app.test_request_context():
        sentence = Timeline(Vocabulary({}), {"alice": "Alice Martin"}).sentence(entry)

    assert kind not in sentence and "23/11/2026" in sentence


def test_one_list_of_languages_for_screens_forms_policy_and_messages():
    assert tuple(i18n.LANGUAGES) == config.LANGUAGES
    assert i18n.LANGUAGES == {"fr": "Français", "en": "English"}
    for language in config.LANGUAGES[1:]:  # French is the source of the catalogue
        catalogue = PROJECT_ROOT / "webui" / "translations" / language / "LC_MESSAGES"
        assert (catalogue / "messages.po").exists()
