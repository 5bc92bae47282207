"""Who may act on what: users, roles, the lanes their roles work in, and the checks every
task action makes (the engine decides; screens only hide what a person may not do)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, false, select

from engine.db.models import HumanTask, Role, User, UserRole
from engine.errors import NotAllowed, NotFound
from engine.runtime.unit_of_work import UnitOfWork

#: Roles that work ready tasks in lanes (the others read complaints, deploy or audit).
WORKING_ROLES = frozenset({"agent", "supervisor", "quality", "admin"})
SUPERVISOR_ROLE = "supervisor"  # releases and reassigns others' tasks in the lanes it works in
ADMIN_ROLE = "admin"  # works and supervises every lane


def active_user(uow: UnitOfWork, username: str) -> User:
    """An active user; NotFound otherwise (a deactivated person acts on nothing)."""
    user = uow.session.get(User, username)
    if user is None or not user.active:
        raise NotFound(f"no active user '{username}'")
    return user


def any_user(uow: UnitOfWork, username: str) -> User:
    """A user, active or not (administration reaches both)."""
    user = uow.session.get(User, username)
    if user is None:
        raise NotFound(f"no user '{username}'")
    return user


def role_named(uow: UnitOfWork, name: str) -> Role:
    """A role; NotFound lists the roles there are."""
    role = uow.session.get(Role, name)
    if role is None:
        known = ", ".join(uow.session.scalars(select(Role.name).order_by(Role.name)))
        raise NotFound(f"no role '{name}' (known roles: {known or 'none; run doleance init'})")
    return role


def lanes_of(uow: UnitOfWork, user: User) -> set[str]:
    """The lanes the user's roles work in."""
    rows = uow.session.scalars(
        select(Role.lanes)
        .join(UserRole, UserRole.role == Role.name)
        .where(UserRole.username == user.username)
    )
    return {lane for lanes in rows for lane in lanes}


def lane_filter(lanes: Iterable[str]) -> ColumnElement[bool]:
    """The condition on task rows for tasks of these lanes (no lane at all: nothing)."""
    lanes = list(lanes)
    return HumanTask.lane.in_(lanes) if lanes else false()


def require_lane(uow: UnitOfWork, username: str, task: HumanTask) -> None:
    """Only people whose roles work in the task's lane act on it (admins on every lane)."""
    user = active_user(uow, username)
    if not WORKING_ROLES & set(user.roles):
        raise NotAllowed(
            f"{username}'s roles ({', '.join(user.roles) or 'none'}) do not work tasks"
        )
    if ADMIN_ROLE in user.roles or task.lane is None:
        return
    if task.lane not in lanes_of(uow, user):
        raise NotAllowed(
            f"task '{task.name}' belongs to the {task.lane} lane, "
            f"which none of {username}'s roles ({', '.join(user.roles)}) work in"
        )


def supervises(uow: UnitOfWork, username: str, task: HumanTask) -> bool:
    """A supervisor supervises the lanes their roles work in; admins supervise every lane."""
    user = active_user(uow, username)
    if ADMIN_ROLE in user.roles:
        return True
    return SUPERVISOR_ROLE in user.roles and (task.lane is None or task.lane in lanes_of(uow, user))


def require_supervisor(uow: UnitOfWork, username: str, task: HumanTask, refusal: str) -> None:
    """Refuse (NotAllowed, with ``refusal``) unless ``username`` supervises the task's lane."""
    if not supervises(uow, username, task):
        raise NotAllowed(refusal)
