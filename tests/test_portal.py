"""The portal's use cases (engine.services.portal): filing, tracking link, check-in, policy."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import runtime, services
from engine.db.models import CustomerAccess, Instance
from engine.errors import InvalidInput, NotAllowed
from engine.rules.policy import PolicyError, parse_policy
from engine.services import Database, portal
from engine.services import documents as attachments
from tests.journeys.desk import Desk, deploy_processes

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ANA = {
    "customer_name": "Ana Martin",
    "customer_email": "ana.martin@example.org",
    "subject": "Abonnement facturé deux fois",
    "description": "Ma facture de novembre compte deux fois l'abonnement.",
    "product": "Box Internet",
    "category": "billing",
    "remedy_wanted": "refund",
    "asks_for_treatment": "yes",
    "consent": "yes",
}


@pytest.fixture
def desk(uow, database, frozen_clock) -> Desk:
    deploy_processes(uow)
    return Desk(uow, database, frozen_clock)


def pdf(uow) -> str:
    """A document the customer sent, not yet joined to a complaint; its id."""
    return attachments.store(io.BytesIO(PDF), "facture.pdf", "customer", "portal", uow()).id


def rows(uow, model) -> int:
    with uow(read_only=True) as check:
        return check.session.scalar(select(func.count()).select_from(model))


def answered(desk: Desk, uow) -> portal.FiledComplaint:
    """A complaint filed on the portal, qualified, handled and answered: the check-in waits."""
    filed = portal.file_complaint(ANA, "fr", uow())
    desk.qualifies(filed.reference)
    desk.handles(filed.reference)
    return filed


# --- filing: one transaction ---------------------------------------------------------------------


def test_a_filed_complaint_waits_for_the_web_check_with_its_document_and_link(desk, uow):
    document = pdf(uow)

    filed = portal.file_complaint({**ANA, "documents": [document]}, "en", uow())

    assert desk.ready(filed.reference) == [("check_web_submission", "Accueil")]
    complaint = desk.complaint(filed.reference)
    assert (complaint.summary["channel"], complaint.summary["category"]) == ("web", "billing")
    assert [d.id for d in attachments.list_for(filed.reference, uow())] == [document]
    assert portal.open_tracking(filed.token, uow()).reference == filed.reference
    started = desk.history(filed.reference)[0].data["data"]
    assert (started["language"], started["asks_for_treatment"]) == ("en", True)
    assert started["consent"]["version"] == "2026-11-23"


def test_a_document_that_cannot_be_bound_leaves_no_complaint_and_no_link(desk, uow):
    with pytest.raises(InvalidInput) as refused:
        portal.file_complaint(
            {**ANA, "documents": ["0b8a7c9e-0000-4000-8000-000000000000"]}, "fr", uow()
        )

    assert list(refused.value.errors) == ["documents"]
    assert rows(uow, Instance) == 0
    assert rows(uow, CustomerAccess) == 0


def test_a_document_joined_to_one_complaint_cannot_be_named_by_another(desk, uow):
    document = pdf(uow)
    first = portal.file_complaint({**ANA, "documents": [document]}, "fr", uow())

    with pytest.raises(InvalidInput):
        portal.file_complaint({**ANA, "documents": [document]}, "fr", uow())

    assert rows(uow, Instance) == 1
    assert rows(uow, CustomerAccess) == 1
    assert [d.id for d in attachments.list_for(first.reference, uow())] == [document]


def test_without_consent_the_complaint_is_refused(desk, uow):
    with pytest.raises(InvalidInput) as refused:
        portal.file_complaint({**ANA, "consent": "no"}, "fr", uow())

    assert refused.value.code == "consent"
    assert list(refused.value.errors) == ["consent"]
    assert rows(uow, Instance) == 0


def test_the_facts_cannot_be_dated_in_the_future(desk, uow):
    with pytest.raises(InvalidInput) as refused:
        portal.check_complaint({**ANA, "occurred_on": "2026-11-24"}, uow())

    assert refused.value.errors["occurred_on"][0].code == "max_date"


def test_the_portal_offers_the_categories_and_remedies_agents_qualify_with(desk, uow):
    form = portal.complaint_form(uow())
    qualify = services.form_definitions(uow())["qualify_complaint.json"]

    for key in ("category", "remedy_wanted"):
        assert form.field(key).choices == qualify.field(key).choices


# --- the tracking link --------------------------------------------------------------------------


def test_the_tracking_link_is_built_on_the_public_address(settings):
    assert portal.tracking_url(settings, "abc") == "http://127.0.0.1:5000/portal/track/abc"


def test_a_tracking_link_lasts_the_configured_number_of_days(desk, database, frozen_clock):
    short = Database(database.engine, dataclasses.replace(database.settings, tracking_days=30))
    filed = portal.file_complaint(ANA, "fr", short.unit_of_work())

    frozen_clock.advance(timedelta(days=29, hours=23))
    assert portal.open_tracking(filed.token, short.unit_of_work()).reference == filed.reference
    frozen_clock.advance(timedelta(hours=1))
    with pytest.raises(portal.TrackingLinkExpired):
        portal.open_tracking(filed.token, short.unit_of_work())


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "../../etc/passwd" + "x" * 30])
def test_an_unknown_tracking_link_opens_nothing(desk, uow, token):
    portal.file_complaint(ANA, "fr", uow())

    with pytest.raises(portal.UnknownTrackingLink):
        portal.open_tracking(token, uow())


def test_the_customer_sees_only_the_messages_written_to_them(desk, uow):
    filed = portal.file_complaint(ANA, "fr", uow())
    desk.time_passes(timedelta(days=11), filed.reference)  # the acknowledgement clock warns
    assert desk.sent(filed.reference, "deadline_warning")

    tracking = portal.open_tracking(filed.token, uow())

    assert [m.name for m in tracking.messages] == ["progress_update"]
    assert [e.clock for e in tracking.expected] == ["acknowledgement"]


def test_the_customer_sees_only_the_documents_they_sent(desk, uow):
    filed = portal.file_complaint({**ANA, "documents": [pdf(uow)]}, "fr", uow())
    internal = attachments.store(io.BytesIO(PDF), "note.pdf", "agent", "alice", uow())
    with uow() as joining:
        instance = joining.session.scalar(
            select(Instance).where(Instance.reference == filed.reference)
        )
        runtime.documents.bind(joining, instance, [internal.id])
        joining.commit()

    tracking = portal.open_tracking(filed.token, uow())

    assert [d.filename for d in tracking.documents] == ["facture.pdf"]
    with pytest.raises(portal.NotFound):
        portal.customer_document(filed.token, internal.id, uow())


# --- the check-in -------------------------------------------------------------------------------


def test_no_question_is_awaited_before_the_answer_is_sent(desk, uow):
    filed = portal.file_complaint(ANA, "fr", uow())
    desk.qualifies(filed.reference)

    assert portal.open_tracking(filed.token, uow()).awaited_reply is None
    with pytest.raises(NotAllowed):
        portal.answer(filed.token, {"satisfied": "yes"}, uow())


def test_after_the_answer_the_check_in_questions_are_awaited_with_their_form(desk, uow):
    filed = answered(desk, uow)

    awaited = portal.open_tracking(filed.token, uow()).awaited_reply

    assert awaited.message == "customer_reply"
    assert awaited.form.name == "customer_checkin_reply.json"
    assert awaited.reply_by.isoformat() == "2026-12-08T22:59:59+00:00"  # 15 days, Paris


def test_the_questions_are_still_awaited_after_the_reminder(desk, uow):
    filed = answered(desk, uow)

    fired = desk.time_passes(timedelta(days=8), filed.reference)

    assert fired == ["reminder_due"]
    assert portal.open_tracking(filed.token, uow()).awaited_reply is not None


def test_the_questions_are_no_longer_awaited_once_the_reply_date_has_passed(desk, uow):
    filed = answered(desk, uow)

    desk.clock.advance(timedelta(days=16))  # before the scheduler closes it

    assert portal.open_tracking(filed.token, uow()).awaited_reply is None


def test_the_answer_is_validated_with_the_form_and_delivered_as_the_customers_reply(desk, uow):
    filed = answered(desk, uow)
    with pytest.raises(InvalidInput) as refused:
        portal.answer(filed.token, {"satisfied": "peut-être"}, uow())
    assert {"taken_into_account", "corrections", "relationship", "satisfied"} <= set(
        refused.value.errors
    )

    portal.answer(
        filed.token,
        {
            "taken_into_account": "no",
            "corrections": "partly",
            "relationship": "uncertain",
            "satisfied": "no",
        },
        uow(),
    )

    (reply,) = desk.events(filed.reference, "message_received")
    assert (reply.actor, reply.data["message"]) == ("customer", "customer_reply")
    assert desk.complaint(filed.reference).stage == "En traitement"  # reopened
    tracking = portal.open_tracking(filed.token, uow())
    assert tracking.awaited_reply is None
    assert tracking.replied_at is not None


# --- the published policy -----------------------------------------------------------------------


def test_the_published_policy_carries_the_deadlines_texts_and_recourse(desk, uow):
    publication = portal.published_policy(uow())

    assert [(d.name, d.unit, d.count) for d in publication.deadlines] == [
        ("acknowledgement", "working_days", 10),
        ("answer", "months", 2),
    ]
    assert publication.text("vision", "en").startswith("A complaint is a chance")
    assert publication.value_texts("fr")[0].startswith("Écoute")
    assert publication.mediator["label"] == "Le Médiateur de la consommation"
    assert publication.consent_version == "2026-11-23"


def test_a_publication_text_needs_every_language():
    with pytest.raises(PolicyError) as refused:
        parse_policy(
            '[publication]\nvision = { fr = "Écouter" }\n[[publication.values]]\nfr = "x"\n'
        )

    assert [p.element_id for p in refused.value.problems] == [
        "publication.vision",
        "publication.values[1]",
    ]
