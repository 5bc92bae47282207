"""Who is using the application: checking a password, loading a user and what they may work on.

Results are plain dataclasses, never ORM objects, like every other service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash

from engine.db.models import Role, User, UserRole
from engine.db.session import UnitOfWork
from engine.errors import InvalidInput

# Roles that work ready tasks in lanes (the others read complaints, deploy or audit).
WORKING_ROLES = frozenset({"agent", "supervisor", "quality", "admin"})
SUPERVISOR_ROLE = "supervisor"  # releases and reassigns others' tasks in the lanes it works in
MIN_PASSWORD_LENGTH = 10  # for passwords an administrator sets


@dataclass(frozen=True)
class UserView:
    username: str
    display_name: str
    roles: tuple[str, ...]
    lanes: frozenset[str]

    def has_role(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles))

    @property
    def works_tasks(self) -> bool:
        return bool(WORKING_ROLES & set(self.roles))

    def may_work_in(self, lane: str | None) -> bool:
        """True when the user may see and do a task of ``lane`` (admins work every lane)."""
        return self.works_tasks and ("admin" in self.roles or lane is None or lane in self.lanes)

    def may_supervise(self, lane: str | None) -> bool:
        """True when the user may release or reassign anyone's task of ``lane``: a supervisor
        supervises the lanes their roles work in, an admin every lane."""
        return "admin" in self.roles or (SUPERVISOR_ROLE in self.roles and self.may_work_in(lane))


def authenticate(username: str, password: str, uow: UnitOfWork) -> UserView | None:
    """The user when the password is theirs; None for any failure (no hint which part failed)."""
    with uow:
        user = uow.session.get(User, (username or "").strip())
        if user is None or not user.active or not user.password_hash:
            check_password_hash(_DUMMY_HASH, password or "")  # same cost as a real check
            return None
        if not check_password_hash(user.password_hash, password or ""):
            return None
        return _user_view(uow, user)


@dataclass(frozen=True)
class UserRecord:
    """A person as administration sees them, signed-in or not, active or not."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class RoleView:
    name: str
    label: str
    lanes: tuple[str, ...]


def check_new_password(password: str) -> None:
    """Refuse a password an administrator should not hand out (too short, only spaces)."""
    if len((password or "").strip()) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters",
            {"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]},
            code="password_too_short",
        )


def list_users(uow: UnitOfWork) -> list[UserRecord]:
    """Every user, active ones first, by name."""
    with uow:
        users = uow.session.scalars(select(User).order_by(User.active.desc(), User.username))
        return [_record(u) for u in users]


def find_user(username: str, uow: UnitOfWork) -> UserRecord | None:
    """Any user, active or not, or None."""
    with uow:
        user = uow.session.get(User, username)
        if user is None:
            return None
        return _record(user)


def list_roles(uow: UnitOfWork) -> list[RoleView]:
    with uow:
        roles = uow.session.scalars(select(Role).order_by(Role.name))
        return [RoleView(r.name, r.label, tuple(r.lanes or ())) for r in roles]


def people_for_lane(lane: str | None, uow: UnitOfWork) -> list[UserView]:
    """Active users one of whose roles works in ``lane`` (administrators only if they do)."""
    with uow:
        lanes_of_role = {r.name: set(r.lanes or ()) for r in uow.session.scalars(select(Role))}
        users = uow.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.display_name)
        )
        views = [
            UserView(
                u.username,
                u.display_name,
                tuple(u.roles),
                frozenset().union(*(lanes_of_role.get(role, ()) for role in u.roles)),
            )
            for u in users
        ]
        return [v for v in views if lane is None or lane in v.lanes]


def get_user(username: str, uow: UnitOfWork) -> UserView | None:
    """An active user, or None when there is no such (active) user."""
    with uow:
        user = uow.session.get(User, username)
        if user is None or not user.active:
            return None
        return _user_view(uow, user)


def _record(user: User) -> UserRecord:
    return UserRecord(
        user.username, user.display_name, tuple(user.roles), user.active, user.created_at
    )


def _user_view(uow: UnitOfWork, user: User) -> UserView:
    rows = uow.session.scalars(
        select(Role.lanes)
        .join(UserRole, UserRole.role == Role.name)
        .where(UserRole.username == user.username)
    )
    lanes = frozenset(lane for lanes in rows for lane in lanes or ())
    return UserView(user.username, user.display_name, tuple(user.roles), lanes)


_DUMMY_HASH = (
    "scrypt:32768:8:1$5bTQbXv0fI2l4g7b$"
    "1f7e8a5e0c1b8d9e3f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a"
    "6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e"
)
