"""Who may do what to a task, for every task action, every lane of our processes and every role.

The rule: people act on the tasks of the lanes their roles work in; a supervisor supervises
(releases and reassigns anyone's task in) those same lanes; admins work and supervise every
lane; roles that do not work tasks (auditors, process owners) act on none. The lanes are read
from ``processes/`` and the roles from the built-in ones, so a new lane or role is covered
without touching this file. Each case runs a task of that lane through the real services;
then the same for the web pages, which must agree with the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from lxml import etree
from werkzeug.security import generate_password_hash

from engine import services
from engine.config import PROJECT_ROOT
from engine.errors import NotAllowed
from engine.services import accounts
from tests.test_web_support import FAST_HASH, PASSWORD, Browser

pytest_plugins = ["tests.test_web_support"]

REAL_LANES = sorted(
    {
        lane.get("name")
        for diagram in (PROJECT_ROOT / "processes").glob("*.bpmn")
        for lane in etree.parse(str(diagram)).iter("{*}lane")
    }
)
LANES: list[str | None] = [*REAL_LANES, None]  # None: a task that sits in no lane
ROLES = sorted(services.BUILTIN_ROLES)
HOLDER = "holder"  # an admin who holds the tasks others try to release or reassign
TARGET = "target"  # an admin, who works in every lane: the person tasks are handed to


def works_in(role: str, lane: str | None) -> bool:
    """The rule, written from the role definitions themselves."""
    if role not in accounts.WORKING_ROLES:
        return False
    return role == "admin" or lane is None or lane in services.BUILTIN_ROLES[role][1]


def supervises(role: str, lane: str | None) -> bool:
    return role == "admin" or (role == accounts.SUPERVISOR_ROLE and works_in(role, lane))


def person(role: str) -> str:
    return f"{role}-person"


def lanes_diagram(lanes: list[str | None]) -> str:
    """A process whose start opens one user task in each lane at once."""
    tasks = [(f"task_{i}", lane) for i, lane in enumerate(lanes)]
    lane_set = "".join(
        f'<bpmn:lane id="lane_{i}" name="{lane}"><bpmn:flowNodeRef>{task}</bpmn:flowNodeRef>'
        "</bpmn:lane>"
        for i, (task, lane) in enumerate(tasks)
        if lane is not None
    )
    nodes = "".join(
        f'<bpmn:userTask id="{task}" name="Tâche {lane or "sans file"}" />'
        f'<bpmn:sequenceFlow id="in_{task}" sourceRef="split" targetRef="{task}" />'
        f'<bpmn:sequenceFlow id="out_{task}" sourceRef="{task}" targetRef="join" />'
        for task, lane in tasks
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="lanes_definitions" targetNamespace="http://doleance.org/test">
  <bpmn:process id="lanes" name="Une tâche par file" isExecutable="true">
    <bpmn:laneSet id="lane_set">{lane_set}</bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="split" />
    <bpmn:parallelGateway id="split" />
    {nodes}
    <bpmn:parallelGateway id="join" />
    <bpmn:sequenceFlow id="f_end" sourceRef="join" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def people(uow, monkeypatch):
    """The built-in roles, one person per role, and the two admins tasks pass through."""
    monkeypatch.setattr(
        accounts, "generate_password_hash", partial(generate_password_hash, method=FAST_HASH)
    )
    services.ensure_builtin_roles(uow())
    for role in ROLES:
        services.create_user(person(role), [role], uow(), password=PASSWORD)
    for admin in (HOLDER, TARGET):
        services.create_user(admin, ["admin"], uow(), password=PASSWORD)
    services.deploy_version({"lanes.bpmn": lanes_diagram(LANES)}, "tester", uow())


@pytest.fixture
def tasks_by_lane(people, uow) -> Callable[[bool], dict[str | None, str]]:
    """A new complaint's task ids by lane; ``held=True``: each task claimed by the holder."""

    def start(held: bool = False) -> dict[str | None, str]:
        reference = services.start_instance("lanes", {}, "tester", uow()).reference
        tasks = {t.lane: t.id for t in services.list_tasks(uow(), reference=reference)}
        assert sorted(tasks, key=str) == sorted(LANES, key=str)
        for task_id in tasks.values() if held else ():
            services.claim_task(task_id, HOLDER, uow())
        return tasks

    return start


#: Each task action: (whether the task is first claimed by someone else, the call, the rule).
ACTIONS = {
    "open": (False, lambda t, actor, uow: services.task_form_context(t, actor, uow()), works_in),
    "claim": (False, lambda t, actor, uow: services.claim_task(t, actor, uow()), works_in),
    "complete": (
        False,
        lambda t, actor, uow: services.complete_task(t, {}, actor, uow()),
        works_in,
    ),
    "release_own": (
        False,
        lambda t, actor, uow: (
            services.claim_task(t, actor, uow()),
            services.release_task(t, actor, uow()),
        ),
        works_in,
    ),
    "release_others": (
        True,
        lambda t, actor, uow: services.release_task(t, actor, uow()),
        supervises,
    ),
    "reassign_others": (
        True,
        lambda t, actor, uow: services.reassign_task(t, TARGET, actor, uow()),
        supervises,
    ),
    "complete_others": (
        True,
        lambda t, actor, uow: services.complete_task(t, {}, actor, uow()),
        lambda role, lane: False,  # only the assignee completes a claimed task
    ),
}


def allowed(action: Callable[[], object]) -> bool:
    try:
        action()
    except NotAllowed:
        return False
    return True


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_task_action_follows_the_lane_rule(tasks_by_lane, uow, action, role):
    held, act, rule = ACTIONS[action]
    tasks = tasks_by_lane(held)

    outcome = {lane: allowed(partial(act, tasks[lane], person(role), uow)) for lane in LANES}

    assert outcome == {lane: rule(role, lane) for lane in LANES}


@pytest.mark.parametrize("role", ROLES)
def test_a_task_is_handed_only_to_someone_who_works_in_its_lane(tasks_by_lane, uow, role):
    tasks = tasks_by_lane()

    outcome = {
        lane: allowed(lambda t=tasks[lane]: services.reassign_task(t, person(role), HOLDER, uow()))
        for lane in LANES
    }

    assert outcome == {lane: works_in(role, lane) for lane in LANES}


def test_a_supervisor_cannot_release_or_reassign_a_quality_task(tasks_by_lane, uow):
    quality_task = tasks_by_lane(held=True)["Qualité"]
    sam = person("supervisor")

    with pytest.raises(NotAllowed, match="Qualité lane"):
        services.release_task(quality_task, sam, uow())
    with pytest.raises(NotAllowed, match="Qualité lane"):
        services.reassign_task(quality_task, TARGET, sam, uow())
    assert services.get_task(quality_task, uow()).assignee == HOLDER


# --- the web pages agree with the engine ----------------------------------------------------------


def _status_says_allowed(response) -> bool:
    assert response.status_code in (200, 302, 403), response.status_code
    return response.status_code != 403


@pytest.mark.parametrize("role", ROLES)
def test_the_task_pages_follow_the_same_rule(app, tasks_by_lane, role):
    free, held = tasks_by_lane(), tasks_by_lane(held=True)
    browser = Browser(app.test_client())
    browser.login(person(role))
    client = browser.client

    pages = {
        "open": lambda lane: client.get(f"/tasks/{free[lane]}"),
        "release_others": lambda lane: client.post(
            f"/tasks/{held[lane]}/release", data={"csrf_token": browser.token}
        ),
        "reassign_page": lambda lane: client.get(f"/tasks/{held[lane]}/reassign"),
    }
    rules = {"open": works_in, "release_others": supervises, "reassign_page": supervises}

    outcome = {
        name: {lane: _status_says_allowed(page(lane)) for lane in LANES}
        for name, page in pages.items()
    }

    assert outcome == {name: {lane: rules[name](role, lane) for lane in LANES} for name in pages}


def test_head_on_a_task_page_reads_it_and_does_not_complete_the_task(app, tasks_by_lane, uow):
    task = tasks_by_lane()[None]  # a task without a form: a POST completes it at once
    browser = Browser(app.test_client())
    browser.login(person("agent"))

    answer = browser.client.head(f"/tasks/{task}")

    assert answer.status_code == 200
    assert services.get_task(task, uow()).assignee is None  # still waiting, not completed
