"""The unit of work: one user action, one transaction, whole or not at all.

``with database.unit_of_work() as uow: ...; uow.commit()``. The unit of work owns the session
and therefore the row locks taken through it (SQLite: every writing transaction starts with
``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT … FOR UPDATE OF instance``, see
:func:`engine.runtime.complaints.load_complaint`), the optimistic version check of the complaint
row, the audit events appended on the way, and the effects that must happen only once the
transaction is committed (a received document moved into the document store) or only if it is
not (the staged file removed).

Every database conflict — the version check, a constraint that another transaction beat us
to, a lock, a deadlock or a serialization failure on PostgreSQL, SQLite still busy — leaves
the unit of work as :class:`~engine.errors.ConcurrentUpdate`, whether it happened inside the
block or at commit: callers never see SQLAlchemy's exceptions for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine.config import Settings
from engine.db.models import AuditEvent, Instance
from engine.db.session import READ_ONLY, create_database_engine, is_conflict
from engine.errors import ConcurrentUpdate
from engine.trail import audit

logger = logging.getLogger(__name__)

CONFLICT_MESSAGE = (
    "someone else changed the same thing at the same time; nothing was saved: reload and try again"
)


class Database:
    """An engine plus its session factory and settings; one per process."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(create_database_engine(settings.database_url), settings)

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        """A new unit of work; ``read_only`` ones take no write lock (SQLite: plain BEGIN)."""
        return UnitOfWork(self, read_only=read_only)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One transaction. Leaving the ``with`` block without :meth:`commit` rolls it back."""

    def __init__(self, database: Database, read_only: bool = False) -> None:
        self.database = database
        self.settings = database.settings
        self.read_only = read_only
        self._session: Session | None = None
        self._committed = False
        self._after_commit: list[Callable[[], None]] = []
        self._on_rollback: list[Callable[[], None]] = []

    @property
    def session(self) -> Session:
        """The transaction's session (only inside the ``with`` block)."""
        if self._session is None:
            raise RuntimeError("a unit of work is used inside its 'with' block only")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        self._session = self.database.session_factory()
        self._committed = False
        if self.read_only:
            self._session.connection(execution_options={READ_ONLY: True})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()
            if not self._committed:
                _run(self._on_rollback, "after a rollback")
            self._after_commit, self._on_rollback = [], []
        if exc is not None and not isinstance(exc, ConcurrentUpdate) and is_conflict(exc):
            raise ConcurrentUpdate(CONFLICT_MESSAGE) from exc

    def commit(self) -> None:
        """Commit, then run the after-commit effects; ConcurrentUpdate on any conflict."""
        try:
            self.session.commit()
        except Exception as exc:
            if is_conflict(exc):
                raise ConcurrentUpdate(CONFLICT_MESSAGE) from exc
            raise
        self._committed = True
        effects, self._after_commit, self._on_rollback = self._after_commit, [], []
        _run(effects, "after a commit")

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Do ``effect`` once the transaction is committed (never if it is not)."""
        self._after_commit.append(effect)

    def on_rollback(self, effect: Callable[[], None]) -> None:
        """Do ``effect`` if the unit of work ends without committing (undo what lives outside
        the database, such as a staged file)."""
        self._on_rollback.append(effect)

    def record(
        self,
        complaint: Instance | None,
        kind: str,
        actor: str,
        *,
        process_id: str | None = None,
        element_id: str | None = None,
        element_name: str | None = None,
        data: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        """Append an event to the complaint's audit chain (the system chain for None)."""
        return audit.append(
            self.session,
            complaint,
            kind,
            actor,
            process_id=process_id,
            element_id=element_id,
            element_name=element_name,
            data=data,
            at=at,
        )

    def record_failure(
        self,
        reference: str,
        actor: str,
        message: str,
        element_id: str | None = None,
        element_name: str | None = None,
    ) -> None:
        """Keep a trace of a failed action in the complaint's trail, in a transaction of its
        own (this one is about to be rolled back). Nothing when the complaint does not exist
        yet (it was being created)."""
        with self.database.unit_of_work() as failure:
            complaint = failure.session.scalar(
                select(Instance).where(Instance.reference == reference)
            )
            if complaint is None:
                return
            failure.record(
                complaint,
                "error",
                actor,
                element_id=element_id,
                element_name=element_name,
                data={"message": message},
            )
            failure.commit()


def _run(effects: list[Callable[[], None]], when: str) -> None:
    """Run every effect; one that fails is logged and does not stop the others (the
    transaction's outcome is already decided)."""
    for effect in effects:
        try:
            effect()
        except Exception:
            logger.exception("an effect to run %s failed", when)
