"""The organisation's complaint policy as the portal publishes it (``[publication]`` of the
policy deployed with the newest complaint process)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.forms import (
    localized,
)
from engine.rules.policy import Policy
from engine.runtime import (
    COMPLAINT_PROCESS,
    UnitOfWork,
    latest_version_with,
    policy_of,
)

CUSTOMER_CLOCKS = ("acknowledgement", "answer")  # the deadlines customers are promised


BUILTIN_CONSENT_VERSION = "builtin"  # recorded when the policy publishes no consent text


@dataclass(frozen=True)
class PublishedDeadline:
    name: str  # acknowledgement, answer
    unit: str  # working_days, business_days, calendar_days, weeks, months
    count: int
    rolls_forward: bool  # a deadline ending on a day off moves to the next working day


@dataclass(frozen=True)
class Publication:
    """The organisation's complaint policy as customers read it (``[publication]``)."""

    organisation: str
    contact_email: str
    contact_phone: str
    consent_version: str
    texts: Mapping[str, Mapping[str, str]]  # vision, how_to_complain, recourse, consent
    values: list[Mapping[str, str]]
    deadlines: list[PublishedDeadline]
    internal_appeal: Mapping[str, str]
    mediator: Mapping[str, str]

    def text(self, key: str, language: str) -> str:
        """One of the texts in ``language`` ("" when the policy has none)."""
        return localized(self.texts.get(key), language)

    def value_texts(self, language: str) -> list[str]:
        return [localized(value, language) for value in self.values]


def published_policy(uow: UnitOfWork) -> Publication:
    """The policy deployed with the newest complaint process, as the portal publishes it."""
    with uow:
        version = latest_version_with(uow, COMPLAINT_PROCESS)
        return _publication(policy_of(version))


def _publication(policy: Policy) -> Publication:
    def section(key: str) -> Mapping[str, Any]:
        value = policy.value(key, {})
        return value if isinstance(value, Mapping) else {}

    publication = section("publication")
    rules = policy.rulebook.rules
    return Publication(
        organisation=publication.get("organisation", ""),
        contact_email=publication.get("contact_email", ""),
        contact_phone=publication.get("contact_phone", ""),
        consent_version=publication.get("consent_version", BUILTIN_CONSENT_VERSION),
        texts={key: value for key, value in publication.items() if isinstance(value, Mapping)},
        values=list(publication.get("values", [])),
        deadlines=[
            PublishedDeadline(name, rules[name].unit, rules[name].count, rules[name].roll_forward)
            for name in CUSTOMER_CLOCKS
            if name in rules
        ],
        internal_appeal=section("recourse.internal_appeal"),
        mediator=section("recourse.mediator"),
    )
