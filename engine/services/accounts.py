"""People and roles: signing in, who works in which lane, and administering users.

Results are plain dataclasses, never ORM objects, like every other use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from engine import clock
from engine.db.models import Role, User, UserRole
from engine.errors import InvalidInput, NotAllowed
from engine.runtime import (
    ADMIN_ROLE,
    SUPERVISOR_ROLE,
    SYSTEM_ACTOR,
    WORKING_ROLES,
    UnitOfWork,
    any_user,
    role_named,
)

MIN_PASSWORD_LENGTH = 10  # for passwords an administrator sets
#: The roles ``doleance init`` creates: label and the lanes they work in.
BUILTIN_ROLES = {
    "agent": ("Agent", ["Accueil", "Conseiller"]),
    "supervisor": ("Superviseur", ["Superviseur", "Accueil", "Conseiller"]),
    "quality": ("Qualité", ["Qualité"]),
    "process_owner": ("Propriétaire de processus", []),
    "auditor": ("Auditeur", []),
    "admin": ("Administrateur", []),
}


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
        return self.works_tasks and (ADMIN_ROLE in self.roles or lane is None or lane in self.lanes)

    def may_supervise(self, lane: str | None) -> bool:
        """True when the user may release or reassign anyone's task of ``lane``: a supervisor
        supervises the lanes their roles work in, an admin every lane."""
        return ADMIN_ROLE in self.roles or (
            SUPERVISOR_ROLE in self.roles and self.may_work_in(lane)
        )


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


# --- administration ----------------------------------------------------------------------------


def ensure_builtin_roles(uow: UnitOfWork) -> list[str]:
    """Create the built-in roles that do not exist yet; returns the names created."""
    with uow:
        created = []
        for name, (label, lanes) in BUILTIN_ROLES.items():
            if uow.session.get(Role, name) is None:
                uow.session.add(Role(name=name, label=label, lanes=lanes))
                created.append(name)
        uow.commit()
        return created


def create_user(
    username: str,
    roles: list[str],
    uow: UnitOfWork,
    display_name: str | None = None,
    password: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> None:
    username = (username or "").strip()
    if not username or len(username) > 120 or any(c.isspace() for c in username):
        raise InvalidInput("a user name is 1 to 120 characters without spaces")
    if not roles:
        raise InvalidInput("give the user at least one role")
    with uow:
        session = uow.session
        if session.get(User, username) is not None:
            raise InvalidInput(f"user '{username}' already exists")
        for role in roles:
            role_named(uow, role)
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=generate_password_hash(password) if password else None,
            created_at=clock.now(),
        )
        user.role_links = [UserRole(role=role) for role in sorted(set(roles))]
        session.add(user)
        uow.record(None, "user_created", actor, data={"user": username, "roles": sorted(roles)})
        uow.commit()


def set_user_roles(username: str, roles: list[str], actor: str, uow: UnitOfWork) -> None:
    """Give a user exactly ``roles``; nobody removes their own admin role."""
    roles = sorted(set(roles))
    if not roles:
        raise InvalidInput("give the user at least one role", {"roles": ["at least one role"]})
    with uow:
        user = any_user(uow, username)
        for role in roles:
            role_named(uow, role)
        before = user.roles
        if actor == username and ADMIN_ROLE in before and ADMIN_ROLE not in roles:
            raise NotAllowed(
                "you cannot remove your own admin role; ask another administrator to do it"
            )
        if before == roles:
            return
        user.role_links = [link for link in user.role_links if link.role in roles] + [
            UserRole(role=role) for role in roles if role not in before
        ]
        uow.record(
            None, "user_roles_changed", actor, data={"user": username, "from": before, "to": roles}
        )
        uow.commit()


def set_user_active(username: str, active: bool, actor: str, uow: UnitOfWork) -> None:
    """Let a user sign in again, or stop them (from their next request); not yourself."""
    with uow:
        user = any_user(uow, username)
        if actor == username and not active:
            raise NotAllowed("you cannot deactivate yourself; ask another administrator")
        if user.active == active:
            return
        user.active = active
        kind = "user_reactivated" if active else "user_deactivated"
        uow.record(None, kind, actor, data={"user": username})
        uow.commit()


def reset_password(username: str, password: str, actor: str, uow: UnitOfWork) -> None:
    """Set a new password (at least ``MIN_PASSWORD_LENGTH`` characters); the trail notes who."""
    check_new_password(password)
    with uow:
        user = any_user(uow, username)
        user.password_hash = generate_password_hash(password)
        uow.record(None, "password_reset", actor, data={"user": username})
        uow.commit()


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
