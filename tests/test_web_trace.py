"""An auditor traces a complaint in the browser: finds it, sees its path and timeline, checks
its chain, exports it — and can change nothing else anywhere in the application."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, update
from werkzeug.routing import FloatConverter, IntegerConverter, UUIDConverter

from engine.db.models import AuditEvent, Instance, OutboxMessage
from tests.journeys.desk import Desk
from tests.test_web_support import small_pages, text

pytest_plugins = ["tests.test_web_support"]

#: POST routes an auditor may use: signing in and out, the language, recording an export.
#: The customer portal is public: what anyone may post there is not an auditor's action.
AUDITOR_MAY_POST = {
    "auth.login",
    "auth.logout",
    "i18n.choose_language",
    "trace.export",
    "trace.export_range",
}
PUBLIC_BLUEPRINTS = {"portal"}


@pytest.fixture
def desk(organisation, uow, database, frozen_clock) -> Desk:
    return Desk(uow, database, frozen_clock)


@pytest.fixture
def closed(desk) -> str:
    """A web complaint answered and closed after the customer said they were satisfied."""
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.handles(reference)
    desk.customer_replies(reference, satisfied=True)
    return reference


@pytest.fixture
def auditor(browser, organisation):
    browser.login("audrey")
    return browser


# --- the trace page ----------------------------------------------------------------------------


def test_the_auditor_finds_the_trace_in_her_menu(auditor):
    page = text(auditor.get("/"))

    assert '<a href="/audit/">Audit</a>' in page


def test_the_trace_page_shows_chain_path_timeline_messages_and_deadlines(
    auditor, closed, desk, uow
):
    page = unescape(text(auditor.get(f"/audit/{closed}")))

    assert f"Piste d'audit de {closed}" in page
    assert 'class="trace-chain trace-chain-ok"' in page
    assert f"ses {len(desk.history(closed))} événements s'enchaînent" in page
    assert 'id="trace-canvas"' in page
    assert f'data-path-url="/audit/{closed}/path.json"' in page
    assert 'data-process-key="' + closed + ':customer_checkin"' in page
    assert "<code>flow_satisfied</code>" in page  # the path as a list
    assert page.count('<tr id="event-') == len(desk.history(closed))
    assert "Tâche terminée" in page and "<td>alice</td>" in page
    assert '<span class="trace-key">priority</span>' in page
    subject, body, _payload = _message(uow, closed, "acknowledgement")
    assert subject in page and body in page  # exactly what was sent
    assert '<tr class="trace-clock-met"><td>answer</td><td><strong>Respecté</strong>' in page
    assert "progress_update</td><td><strong>" not in page  # a periodic update is no deadline


def _message(uow, reference: str, name: str):
    """(subject, body, payload) of the one message ``name`` of the complaint."""
    with uow() as reading:
        return reading.session.execute(
            select(OutboxMessage.subject, OutboxMessage.body, OutboxMessage.payload)
            .join(Instance, OutboxMessage.instance_id == Instance.id)
            .where(Instance.reference == reference, OutboxMessage.name == name)
        ).one()


def test_the_complaint_summary_reads_in_words(auditor, closed):
    page = unescape(text(auditor.get(f"/audit/{closed}")))

    assert "Facturation" in page and ">billing<" not in page
    assert "par le client" in page and "par portal" not in page


def test_a_message_not_rendered_shows_its_payload(auditor, closed, uow):
    with uow() as unrendered:
        unrendered.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.name == "acknowledgement")
            .values(subject=None, body=None)
        )
        unrendered.commit()

    page = unescape(text(auditor.get(f"/audit/{closed}")))

    _subject, _body, payload = _message(uow, closed, "acknowledgement")
    assert "<dt>answer_due_by</dt><dd>" + payload["answer_due_by"] + "</dd>" in page


def test_the_path_comes_as_json_for_the_diagram_viewer(auditor, closed):
    data = auditor.get(f"/audit/{closed}/path.json").get_json()

    keys = [p["key"] for p in data["processes"]]
    assert keys == [
        f"{closed}:{p}" for p in ("complaint", "intake", "evaluation", "customer_checkin")
    ]
    main = data["processes"][0]
    assert main["diagram"] == f"/audit/{closed}/diagram/complaint.bpmn"
    assert main["flows"]["flow_satisfied"] == 1
    assert main["completed"]["close_file"] == 1
    assert main["calls"]["treatment_call"] == f"{closed}:evaluation"
    (event,) = main["events"]["close_file"]
    assert event["label"] == "Étape effectuée"
    assert event["href"] == f"/audit/{closed}#event-{event['seq']}"


def test_the_diagram_is_the_one_the_complaint_ran_on(auditor, closed):
    response = auditor.get(f"/audit/{closed}/diagram/evaluation.bpmn")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert '<bpmn:process id="evaluation"' in text(response)


@pytest.mark.parametrize(
    "path",
    [
        "/audit/REC-2026-999999",
        "/audit/{ref}/diagram/unknown.bpmn",
        "/audit/REC-2026-999999/path.json",
    ],
)
def test_an_unknown_complaint_or_diagram_is_not_found(auditor, closed, path):
    assert auditor.get(path.format(ref=closed)).status_code == 404


def test_a_tampered_event_shows_where_the_chain_breaks(auditor, closed, uow):
    with uow() as tampering:
        tampering.session.execute(
            update(AuditEvent)
            .where(AuditEvent.chain == closed, AuditEvent.seq == 9)
            .values(data={"changes": {"submission_complete": [None, False]}})
        )
        tampering.commit()

    page = unescape(text(auditor.get(f"/audit/{closed}")))

    assert 'class="trace-chain trace-chain-broken"' in page and 'data-broken-at="9"' in page
    assert f"La piste de {closed} est rompue à l'événement n° 9 :" in page
    assert "le contenu de l'événement n° 9 a été modifié après son enregistrement." in page
    assert '<tr id="event-9" class="trace-kind-task_completed trace-broken">' in page


# --- exports -------------------------------------------------------------------------------------


def test_the_json_export_downloads_the_trail_and_records_who_took_it(auditor, closed, desk):
    response = auditor.post(f"/audit/{closed}/export", {"format": "json"}, follow=False)

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{closed}')
    document = json.loads(text(response))
    history = desk.history(closed)
    assert [e["seq"] for e in document["events"]] == [e.seq for e in history]
    assert history[-1].kind == "trail_exported" and history[-1].actor == "audrey"
    assert history[-1].data == {"format": "json", "scope": "trail"}


def test_the_csv_export_downloads_one_row_per_event(auditor, closed, desk):
    response = auditor.post(f"/audit/{closed}/export", {"format": "csv"}, follow=False)

    rows = list(csv.reader(io.StringIO(text(response))))
    assert response.mimetype == "text/csv"
    assert len(rows) == 1 + len(desk.history(closed))


def test_the_printable_report_is_recorded_and_embeds_the_diagrams(auditor, closed, desk):
    page = unescape(text(auditor.post(f"/audit/{closed}/export", {"format": "html"})))

    seq = desk.history(closed)[-1].seq
    assert f"cet export est l'événement n° {seq} de la piste" in page
    assert 'data-mode="report"' in page and 'id="trace-report-diagrams"' in page
    assert 'id="trace-print"' in page
    assert desk.history(closed)[-1].data["format"] == "html"


def test_an_export_is_a_post_with_a_token(auditor, closed, client, desk):
    before = len(desk.history(closed))

    assert client.get(f"/audit/{closed}/export").status_code == 405
    assert client.post(f"/audit/{closed}/export", data={"format": "json"}).status_code == 400
    assert auditor.post(f"/audit/{closed}/export", {"format": "pdf"}).status_code == 400
    assert len(desk.history(closed)) == before


def test_the_regulators_export_downloads_a_period(auditor, closed):
    response = auditor.post(
        "/audit/export", {"from": "2026-11-01", "to": "2026-11-30"}, follow=False
    )

    rows = list(csv.DictReader(io.StringIO(text(response))))
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="complaints-2026-11-01-2026-11-30.csv"'
    )
    assert [(r["reference"], r["outcome"]) for r in rows] == [(closed, "satisfied")]


def test_a_reversed_period_comes_back_with_the_reason(auditor, closed):
    page = text(auditor.post("/audit/export", {"from": "2026-12-01", "to": "2026-11-01"}))

    assert "Export non fait : la date de fin doit suivre la date de début." in page
    assert 'value="2026-12-01"' in page  # what she typed is kept


# --- search --------------------------------------------------------------------------------------


def test_the_search_finds_a_complaint_by_customer(auditor, desk):
    ana = desk.customer_files_online()
    leo = desk.customer_files_online(customer_name="Léo Petit", customer_email="leo@example.org")

    page = text(auditor.get("/audit/?q=petit"))

    assert f'href="/audit/{leo}"' in page and f'href="/audit/{ana}"' not in page
    assert "1 dossier trouvé" in page


def test_the_search_pages_keep_the_criteria(app, auditor, desk, monkeypatch):
    small_pages(app, monkeypatch)
    references = [desk.customer_files_online() for _ in range(3)]

    first = text(auditor.get("/audit/?q=ana"))
    second = text(auditor.get("/audit/?q=ana&page=2"))

    assert "Page 1 sur 2" in first and 'href="/audit/?page=2&amp;q=ana"' in first
    assert f'href="/audit/{references[0]}"' in second
    assert f'href="/audit/{references[0]}"' not in first
    every_kind = text(auditor.get("/audit/?q=ana&process="))  # complaints and corrective actions
    assert 'href="/audit/?page=2&amp;q=ana&amp;process="' in every_kind


def test_the_search_shows_breached_deadlines(auditor, desk):
    late = desk.customer_files_online()
    desk.time_passes(timedelta(days=15), late)
    on_time = desk.customer_files_online()

    page = text(auditor.get("/audit/?breached=1"))

    assert f'href="/audit/{late}"' in page and f'href="/audit/{on_time}"' not in page
    assert "Délai dépassé" in page


def test_a_malformed_date_is_pointed_out(auditor, organisation):
    page = text(auditor.get("/audit/?from=23/11/2026"))

    assert 'aria-invalid="true"' in page and "date non valide (AAAA-MM-JJ)." in page


# --- who may read, and nobody auditing may write ---------------------------------------------


@pytest.mark.parametrize("username", ["alice", "olivia"])
def test_agents_and_process_owners_do_not_open_the_trace(browser, closed, username):
    browser.login(username)

    assert browser.get("/audit/").status_code == 403
    assert browser.get(f"/audit/{closed}").status_code == 403
    assert browser.get(f"/audit/{closed}/path.json").status_code == 403
    assert browser.post(f"/audit/{closed}/export", {"format": "json"}).status_code == 403
    assert (
        browser.post("/audit/export", {"from": "2026-11-01", "to": "2026-11-30"}).status_code == 403
    )


@pytest.mark.parametrize("username", ["sam", "quinn"])
def test_supervisors_and_quality_read_the_trace_too(browser, closed, username):
    browser.login(username)

    assert browser.get(f"/audit/{closed}").status_code == 200


def _sample_url(app, rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter | FloatConverter):
            values[name] = 1
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.uuid4()
        else:
            values[name] = "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values, method="POST")


def test_an_auditor_is_refused_every_action_that_would_change_something(app, auditor, closed):
    refused, accepted = [], []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0]
        if "POST" not in rule.methods or rule.endpoint in AUDITOR_MAY_POST:
            continue
        if blueprint in PUBLIC_BLUEPRINTS:
            continue
        url = _sample_url(app, rule)
        status = auditor.post(url, {}, follow=False).status_code
        (refused if status == 403 else accepted).append(f"{rule.endpoint} {url} -> {status}")

    assert refused, "no POST route was checked"
    assert accepted == []
