"""SQLAlchemy tables. The engine owns them; Flask-SQLAlchemy binds the same metadata in webui."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UtcDateTime(), dict: JSON, list: JSON}


class ProcessVersion(Base):
    """One deployment: every process, decision, form and policy file, stored once per hash."""

    __tablename__ = "process_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The three large columns load only when asked for: restored specs are cached per hash.
    files: Mapped[dict] = mapped_column(JSON, deferred=True)  # {file name: text}
    specs: Mapped[dict] = mapped_column(JSON, deferred=True)  # {process id: serialized spec}
    process_ids: Mapped[list] = mapped_column(JSON)  # executable (startable) process ids
    flows: Mapped[dict] = mapped_column(JSON, deferred=True)  # {"source>target": flow id}
    deployed_by: Mapped[str] = mapped_column(String(120))
    deployed_at: Mapped[datetime]


class Instance(Base):
    """One running process, usually one complaint. ``state`` is the workflow without its spec."""

    __tablename__ = "instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    process_id: Mapped[str] = mapped_column(String(120), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # running, completed, error
    stage: Mapped[str | None] = mapped_column(String(120))
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(120))
    audit_seq: Mapped[int] = mapped_column(default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    lock_version: Mapped[int] = mapped_column(default=1)

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__: ClassVar = {"version_id_col": lock_version}


class HumanTask(Base):
    """A ready user task, projected from the workflow on every save so inboxes never load one."""

    __tablename__ = "human_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(120))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(120))
    form: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    assignee: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]

    instance: Mapped[Instance] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_human_task_lane_due", "lane", "due_at"),
        # covers the inbox: my tasks and my lanes' unclaimed ones, in due order
        Index("ix_human_task_inbox", "assignee", "lane", "due_at", "created_at"),
        Index("ix_human_task_instance", "instance_id"),
    )


class Timer(Base):
    """A waiting timer event. ``pending`` until the scheduler claims and fires it."""

    __tablename__ = "timer"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255))
    attached_to: Mapped[str | None] = mapped_column(String(120))
    attached_task_id: Mapped[str | None] = mapped_column(String(36))
    interrupting: Mapped[bool] = mapped_column(Boolean, default=True)
    clock: Mapped[str | None] = mapped_column(String(60))  # e.g. "answer" (spiff property)
    clock_role: Mapped[str | None] = mapped_column(String(20))  # warning, breach, reminder…
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claim_expires_at: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("instance_id", "task_id", "due_at", name="uq_timer_occurrence"),
        Index("ix_timer_state_due", "state", "due_at"),
        Index("ix_timer_instance", "instance_id"),
    )


class AuditEvent(Base):
    """Append-only trail; each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))  # instance reference, or "system"
    seq: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    process_id: Mapped[str | None] = mapped_column(String(120))
    element_id: Mapped[str | None] = mapped_column(String(120))
    element_name: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),)


class OutboxMessage(Base):
    """A message the process sent to the outside world (usually to the customer).

    ``subject`` and ``body`` are rendered once, in the customer's ``language``, when the
    message is written, so what the trail shows is exactly what was sent.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    recipient: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outbox_instance", "instance_id"),
        Index("ix_outbox_status", "status", "next_attempt_at"),
    )


class Attachment(Base):
    """A document joined to a complaint; the bytes live under the instance folder by hash."""

    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random UUID, used in forms
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("instance.id", ondelete="CASCADE")
    )  # None until the form that uploaded it is saved
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))  # already made safe
    content_type: Mapped[str] = mapped_column(String(120))  # detected from the content
    size: Mapped[int]
    source: Mapped[str] = mapped_column(String(20))  # customer, agent
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime]

    __table_args__ = (Index("ix_attachment_instance", "instance_id"),)


class CustomerAccess(Base):
    """A customer's tracking link: only the SHA-256 of its random token is kept."""

    __tablename__ = "customer_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_customer_access_instance", "instance_id"),)


class DraftFile(Base):
    """A process file edited in the studio and checked, waiting to be deployed."""

    __tablename__ = "draft_file"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)  # e.g. "complaint.bpmn"
    content: Mapped[str] = mapped_column(Text)
    base_hash: Mapped[str | None] = mapped_column(String(64))  # version it was edited from
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime]


class InstanceLink(Base):
    """A relation between two instances, e.g. complaints sharing one corrective action."""

    __tablename__ = "instance_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind", name="uq_instance_link"),
        Index("ix_instance_link_target", "target_id", "kind"),
    )


class ReferenceCounter(Base):
    """Last number given per prefix and year, for human references like REC-2026-000042."""

    __tablename__ = "reference_counter"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Role(Base):
    __tablename__ = "role"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    lanes: Mapped[list] = mapped_column(JSON, default=list)  # the diagram lanes this role works in


class UserRole(Base):
    __tablename__ = "user_role"

    username: Mapped[str] = mapped_column(
        ForeignKey("user_account.username", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(ForeignKey("role.name"), primary_key=True)


class User(Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    role_links: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> list[str]:
        return sorted(link.role for link in self.role_links)
