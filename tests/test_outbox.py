"""Messages to customers: written in their language, mailed to a real SMTP server, retried.

The mail server is aiosmtpd on 127.0.0.1 (a free port per test), which keeps every message it
accepts; "the server is down" is a port nobody listens on.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import select, update

from cli.main import main as doleance
from engine import services
from engine.config import PROJECT_ROOT
from engine.db.models import OutboxMessage
from engine.errors import NotAllowed
from engine.messages import rendering
from engine.scheduler.scheduler import OUTBOX_JOB, TimerFirer, TimerScheduler
from engine.services import Database, read_deployment_files, validate_files, validate_paths
from engine.services import messages as outbox
from tests.journeys.desk import Desk, deploy_processes

ANA = "ana.martin@example.org"


class Mailbox:
    """An SMTP server that keeps what it is sent; it may refuse some recipients."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.refused: set[str] = set()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    """A mail server that is not running yet: ``mailbox.start()`` opens it."""
    box = Mailbox(free_port())
    yield box
    box.stop()


@pytest.fixture
def desk(uow, database, frozen_clock):
    deploy_processes(uow)
    return Desk(uow, database, frozen_clock)


def mailing(settings, box: Mailbox):
    """The settings of an organisation that mails through ``box``."""
    return dataclasses.replace(
        settings, smtp_url=box.url, mail_from="Service réclamations <reclamations@example.org>"
    )


def rows(uow, name: str | None = None) -> list[OutboxMessage]:
    with uow() as unit:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if name is not None:
            query = query.where(OutboxMessage.name == name)
        found = list(unit.session.scalars(query))
        unit.session.expunge_all()  # readable after the unit of work ends
        return found


def acknowledged(desk: Desk, **changes) -> str:
    """A customer files online and Alice qualifies it: the acknowledgement is written."""
    reference = desk.customer_files_online(**changes)
    desk.qualifies(reference)
    return reference


# --- writing -----------------------------------------------------------------------------------


def test_acknowledgement_is_written_in_french_with_the_reference_and_dates_in_words(desk, uow):
    reference = acknowledged(desk)

    (message,) = rows(uow, "acknowledgement")
    assert (message.status, message.language, message.recipient) == ("pending", "fr", ANA)
    assert message.subject == f"Accusé de réception de votre réclamation {reference}"
    assert message.body.startswith("Bonjour Ana Martin,\n")
    assert f"sous la référence {reference}" in message.body
    assert "enregistrée depuis le 23 novembre 2026" in message.body
    assert "au plus tard le 23 janvier 2027" in message.body
    assert "« Abonnement facturé deux fois »" in message.body
    assert "Doléance Démo" in message.body  # the organisation the policy publishes


def test_acknowledgement_is_written_in_english_for_an_english_speaking_customer(desk, uow):
    reference = acknowledged(desk, language="en")

    (message,) = rows(uow, "acknowledgement")
    assert message.language == "en"
    assert message.subject == f"We have received your complaint {reference}"
    assert "registered on 23 November 2026" in message.body
    assert "answer by 23 January 2027" in message.body


def test_a_customer_without_an_email_address_gets_nothing_and_the_row_says_why(desk, uow):
    desk.customer_files_online(customer_email="")

    (message,) = rows(uow, "progress_update")
    assert message.status == "skipped"
    assert message.subject and message.recipient is None
    assert message.last_error == outbox.SKIP_REASONS["no_address"]


def test_a_warning_to_the_team_is_written_in_french_and_kept_on_the_file(desk, uow, frozen_clock):
    reference = desk.customer_files_online(language="en")
    frozen_clock.advance(timedelta(days=12))  # past 80 % of 10 jours ouvrables

    services.fire_due_timers(reference, uow())

    (warning,) = rows(uow, "deadline_warning")
    assert (warning.status, warning.language, warning.recipient) == ("skipped", "fr", None)
    assert warning.subject == f"Échéance proche pour la réclamation {reference}"
    assert "l'accusé de réception" in warning.body
    assert warning.last_error == outbox.SKIP_REASONS["internal"]


def test_a_message_that_cannot_be_rendered_is_kept_as_failed_with_the_error(desk, uow, monkeypatch):
    files = read_deployment_files(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    files["messages/fr/progress_update.txt"] = "Subject: {{ reference }}\n\n{{ 1 / 0 }}\n"
    monkeypatch.setattr(rendering, "templates_of", lambda version: outbox.MessageTemplates(files))

    reference = desk.customer_files_online()  # the complaint itself goes on

    (message,) = rows(uow, "progress_update")
    assert services.get_instance(reference, uow()).stage == "Reçue"
    assert message.status == "failed"
    assert message.payload["stage"] == "Reçue"
    assert "messages/fr/progress_update.txt" in message.last_error
    assert "division by zero" in message.last_error


# --- sending -----------------------------------------------------------------------------------


def test_a_due_message_is_sent_once_with_its_headers_and_utf8_text(
    desk, uow, settings, mailbox, frozen_clock
):
    reference = acknowledged(desk)
    mailbox.start()

    first = outbox.send_due(uow, mailing(settings, mailbox))
    second = outbox.send_due(uow, mailing(settings, mailbox))

    assert [m.status for m in first] == ["sent"] * 4 and second == []
    assert len(mailbox.messages) == 4
    (mail,) = [m for m in mailbox.messages if m["Subject"].startswith("Accusé")]
    assert mail["Subject"] == f"Accusé de réception de votre réclamation {reference}"
    assert mail["From"] == "Service réclamations <reclamations@example.org>"
    assert mail["To"] == ANA
    assert mail["Content-Language"] == "fr"
    assert mail["Message-ID"].startswith(f"<{reference}.")
    assert mail["Date"]
    assert mail.get_content_charset() == "utf-8"
    assert "enregistrée depuis le 23 novembre 2026" in mail.get_content()
    assert {(e.mail_from, tuple(e.rcpt_tos)) for e in mailbox.envelopes} == {
        ("reclamations@example.org", (ANA,))
    }
    (sent,) = rows(uow, "acknowledgement")
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, frozen_clock.now())


def test_a_server_that_is_down_is_tried_again_later_until_the_message_goes(
    desk, uow, settings, mailbox, frozen_clock
):
    desk.customer_files_online()
    down = outbox.send_due(uow, mailing(settings, mailbox))
    too_soon = outbox.send_due(uow, mailing(settings, mailbox))

    (message,) = down
    assert message.status == "pending" and message.attempts == 1
    assert "cannot use the mail server" in message.last_error
    assert message.next_attempt_at == frozen_clock.now() + timedelta(minutes=1)
    assert too_soon == []

    frozen_clock.advance(timedelta(minutes=2))
    mailbox.start()
    (later,) = outbox.send_due(uow, mailing(settings, mailbox))

    assert (later.status, later.attempts, later.last_error) == ("sent", 2, None)
    assert len(mailbox.messages) == 1


def test_retries_back_off_and_stop_after_the_last_attempt(desk, uow, settings, mailbox):
    desk.customer_files_online()
    with uow() as unit:
        unit.session.execute(update(OutboxMessage).values(attempts=outbox.MAX_ATTEMPTS - 1))
        unit.commit()

    (message,) = outbox.send_due(uow, mailing(settings, mailbox))

    assert (message.status, message.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert message.next_attempt_at is None
    assert outbox.RETRY_DELAYS[:4] == tuple(timedelta(minutes=m) for m in (1, 5, 30, 120))


def test_a_recipient_the_server_refuses_for_good_fails_at_once(desk, uow, settings, mailbox):
    desk.customer_files_online()
    mailbox.refused.add(ANA)
    mailbox.start()

    (message,) = outbox.send_due(uow, mailing(settings, mailbox))

    assert (message.status, message.attempts) == ("failed", 1)
    assert "550" in message.last_error and ANA in message.last_error


def test_two_senders_at_the_same_time_never_send_a_message_twice(desk, uow, settings, mailbox):
    for _ in range(4):
        acknowledged(desk)
    mailbox.start()
    due = len(rows(uow))
    start = threading.Barrier(2)
    results: list = []

    def sender():
        start.wait()
        results.extend(outbox.send_due(uow, mailing(settings, mailbox), limit=100))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids)) == due == 16
    assert sorted(r.id for r in results) == [row.id for row in rows(uow)]


def test_without_a_mail_server_nothing_is_sent_and_messages_stay_pending(desk, uow, settings):
    desk.customer_files_online()

    assert outbox.send_due(uow, dataclasses.replace(settings, smtp_url=None)) == []
    (message,) = rows(uow)
    assert (message.status, message.attempts) == ("pending", 0)
    view = outbox.list_messages(uow())[0]
    assert view.mail_configured is False


def test_a_sender_that_died_while_sending_leaves_the_message_to_the_next_one(
    desk, uow, settings, mailbox, frozen_clock
):
    desk.customer_files_online()
    with uow() as unit:  # claimed by a sender that then vanished
        unit.session.execute(
            update(OutboxMessage).values(
                status="sending", next_attempt_at=frozen_clock.now() + outbox.SENDING_TIMEOUT
            )
        )
        unit.commit()
    mailbox.start()

    assert outbox.send_due(uow, mailing(settings, mailbox)) == []
    frozen_clock.advance(outbox.SENDING_TIMEOUT)
    (message,) = outbox.send_due(uow, mailing(settings, mailbox))

    assert message.status == "sent"


# --- retry, views, scheduler, command line -----------------------------------------------------


def fail_every_message(uow) -> None:
    with uow() as unit:
        unit.session.execute(
            update(OutboxMessage).values(status="failed", attempts=8, last_error="550 gone")
        )
        unit.commit()


def test_a_supervisor_sends_a_failed_message_again(desk, uow):
    reference = desk.customer_files_online()
    fail_every_message(uow)
    (failed,) = outbox.messages_for(reference, uow())

    retried = outbox.retry_message(failed.id, "sam", uow())

    assert (retried.status, retried.next_attempt_at) == ("pending", None)
    history = services.instance_history(reference, uow())
    assert history[-1].kind == "message_retried" and history[-1].actor == "sam"


def test_an_agent_cannot_send_a_message_again_nor_anyone_a_sent_one(desk, uow):
    reference = desk.customer_files_online()
    (message,) = outbox.messages_for(reference, uow())

    with pytest.raises(NotAllowed, match="supervisor"):
        outbox.retry_message(message.id, "alice", uow())
    with pytest.raises(NotAllowed, match="only a failed message"):
        outbox.retry_message(message.id, "sam", uow())


def test_views_list_a_complaints_messages_oldest_first_and_all_newest_first(desk, uow):
    first = acknowledged(desk)
    second = desk.customer_files_online()

    mine = outbox.messages_for(first, uow())
    everyone = outbox.list_messages(uow(), status="pending", limit=2)

    assert [m.name for m in mine] == ["progress_update", "acknowledgement"] + [
        "progress_update"
    ] * 2
    assert [m.reference for m in everyone] == [second, first]
    assert outbox.count_by_status(uow())["pending"] == 5


def test_the_scheduler_mails_the_outbox_only_when_a_server_is_configured(
    settings, database, mailbox
):
    with_mail = Database(database.engine, mailing(settings, mailbox))
    schedulers = [TimerScheduler(TimerFirer(db)) for db in (database, with_mail)]
    for scheduler in schedulers:
        scheduler.start()
    try:
        jobs = [s._scheduler.get_job(OUTBOX_JOB) is not None for s in schedulers]
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()

    assert jobs == [False, True]


def test_a_scheduler_pass_mails_what_is_due(desk, settings, database, mailbox):
    desk.customer_files_online()
    mailbox.start()

    (message,) = outbox.send_pass(Database(database.engine, mailing(settings, mailbox)))

    assert message.status == "sent" and len(mailbox.messages) == 1


def test_a_mail_setting_that_cannot_work_is_logged_once_not_at_every_pass(
    desk, settings, database, caplog, monkeypatch
):
    monkeypatch.setattr(outbox, "_reported_settings_error", [])
    desk.customer_files_online()
    broken = Database(database.engine, dataclasses.replace(settings, smtp_url="mail.example.org"))

    passes = [outbox.send_pass(broken) for _ in range(3)]

    assert passes == [[], [], []]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [
        "messages are not sent: DOLEANCE_SMTP_URL must look like "
        "smtp://user:password@host:port or smtps://host:port, not 'mail.example.org'"
    ]


@pytest.fixture
def run(settings, database, monkeypatch):
    for key, value in {
        "DOLEANCE_DATABASE_URL": settings.database_url,
        "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DOLEANCE_SMTP_URL", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(doleance, list(args), catch_exceptions=False)


def test_outbox_send_mails_what_is_due_and_prints_a_line_per_message(
    desk, run, mailbox, monkeypatch
):
    reference = desk.customer_files_online()
    refused = run("outbox", "send")
    mailbox.start()
    monkeypatch.setenv("DOLEANCE_SMTP_URL", mailbox.url)

    sent = run("outbox", "send")
    listed = run("outbox", "list", "--status", "sent")

    assert refused.exit_code == 1 and "no mail server configured" in refused.output
    assert sent.exit_code == 0
    assert sent.stdout == f"{reference} #{rows(desk.uow)[0].id} progress_update to {ANA}: sent\n"
    assert reference in listed.stdout and "\tsent\t" in listed.stdout


# --- checking templates --------------------------------------------------------------------------


def organisation_files() -> dict[str, str]:
    return read_deployment_files(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")


def test_every_message_of_the_processes_has_its_templates():
    files = organisation_files()

    assert validate_files(files) == []
    assert "messages/en/acknowledgement.txt" in files


def test_validation_reports_a_missing_english_template():
    files = organisation_files()
    del files["messages/en/acknowledgement.txt"]

    (problem,) = validate_files(files)

    assert problem.file == "intake.bpmn" and problem.element_id == "acknowledgement"
    assert "no English template" in problem.message
    assert "messages/en/acknowledgement.txt" in problem.message


def test_validation_reports_a_template_that_does_not_render_or_reads_what_nobody_sends():
    files = organisation_files()
    files["messages/fr/thanks.txt"] = "Subject: Merci\n\n{{ refrence }}\n"
    files["messages/en/thanks.txt"] = "Thanks\n\nbody\n"

    problems = [str(p) for p in validate_files(files)]

    assert "messages/en/thanks.txt:1: thanks: the first line must be 'Subject: …'" in problems[0]
    assert any("'refrence' is undefined" in p for p in problems)
    assert any("uses refrence, which no diagram sends" in p for p in problems)


def test_validate_command_finds_the_templates_beside_the_diagrams(tmp_path):
    processes = tmp_path / "processes"
    for name, text in organisation_files().items():
        if name.startswith("forms/") or name == "messages/en/checkin_reminder.txt":
            continue
        (processes / name).parent.mkdir(parents=True, exist_ok=True)
        (processes / name).write_text(text, encoding="utf-8")

    problems = validate_paths([processes / "customer_checkin.bpmn"], PROJECT_ROOT / "forms")

    assert [(p.element_id, "English" in p.message) for p in problems] == [
        ("checkin_reminder", True)
    ]
