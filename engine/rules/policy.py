"""The organisation's complaint policy: the values process owners set in ``policy.toml``.

The file is deployed with the diagrams, so each process version carries the policy it was
deployed with. Diagrams read it through script helpers: ``deadline("answer", received_at)``,
``warning("answer", received_at)``, ``policy("checkin.reminder_days")``.

``[organisation]`` describes the organisation's calendar (country, subdivision, time zone,
``closures``, ``yearly_closures``, ``[organisation.hours]``); each ``[calendars.NAME]`` a
team's or a site's, which takes from ``[organisation]`` every setting it does not give,
except the subdivision and the time zone when it gives a country of its own.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.config import LANGUAGES
from engine.errors import DeploymentError
from engine.problems import Problem, Wording, wording_of
from engine.rules.business_calendar import BusinessCalendar, CalendarError, parse_instant
from engine.rules.closures import closing_dates, yearly_closing_days
from engine.rules.deadlines import OPENING_UNITS, PRESET_RULES, DeadlineRule, RuleBook
from engine.rules.hours import opening_hours

POLICY_FILE = "policy.toml"
#: What ``[publication]`` may hold: texts customers read (one per language), and settings.
PUBLICATION_TEXTS = ("vision", "how_to_complain", "recourse", "consent")
PUBLICATION_SETTINGS = ("organisation", "contact_email", "contact_phone", "consent_version")
#: What ``[organisation]`` and each ``[calendars.NAME]`` may hold.
CALENDAR_SETTINGS = ("country", "subdivision", "timezone", "closures", "yearly_closures", "hours")


class PolicyError(DeploymentError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems), problems)


@dataclass(frozen=True)
class Policy:
    values: Mapping[str, Any] = field(default_factory=dict)
    calendar: BusinessCalendar = field(default_factory=lambda: BusinessCalendar("FR"))
    rulebook: RuleBook = field(
        default_factory=lambda: RuleBook(default_calendar=BusinessCalendar("FR"))
    )

    def value(self, dotted_key: str, default: Any = None) -> Any:
        """A policy value by its dotted path, e.g. ``checkin.reminder_days``."""
        node: Any = self.values
        for part in dotted_key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not None:
                    return default
                raise KeyError(f"the policy has no value '{dotted_key}'")
            node = node[part]
        return node

    def deadline(self, name: str, start: datetime | str, calendar: str | None = None) -> str:
        """When deadline ``name`` falls for a clock started at ``start``, as a UTC ISO instant
        (on the named ``calendar``, else the rule's own or the organisation's)."""
        return _utc_iso(self.rulebook.due(name, self._instant(start), calendar))

    def warning(self, name: str, start: datetime | str, calendar: str | None = None) -> str:
        """When deadline ``name`` warns (its warning share of the time), in UTC ISO."""
        return _utc_iso(self.rulebook.warning(name, self._instant(start), calendar))

    def closures_ahead(self, since: datetime, days: int = 366) -> list[tuple[date, date]]:
        """The organisation's closing days in the ``days`` from ``since``, as runs of days."""
        first = self.calendar.local_date(since)
        return self.calendar.closed_runs(first, first + timedelta(days=days - 1))

    def _instant(self, start: datetime | str) -> datetime:
        return parse_instant(start, self.calendar) if isinstance(start, str) else start

    def helpers(self) -> dict[str, Callable]:
        return {"deadline": self.deadline, "warning": self.warning, "policy": self.value}


def _utc_iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def load_policy(path: Path) -> Policy:
    """Read a policy file from disk; a missing or unreadable file is a PolicyError too."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PolicyError([Problem.of("unreadable", str(path), None, None, reason=reason)]) from exc
    return parse_policy(text, str(path))


def parse_policy(text: str, file_name: str = POLICY_FILE) -> Policy:
    """Read a policy file; every problem found is reported in one PolicyError."""
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = Problem.of("policy_toml", file_name, _toml_line(exc), None, detail=exc)
        raise PolicyError([problem]) from exc
    problems: list[Problem] = []
    organisation = _table(values, "organisation", file_name, problems)
    calendar = _calendar(organisation, "organisation", None, file_name, problems)
    calendars = {}
    for name, table in _table(values, "calendars", file_name, problems).items():
        element = f"calendars.{name}"
        if isinstance(table, Mapping):
            calendars[name] = _calendar(table, element, calendar, file_name, problems)
        else:
            problems.append(Problem.of("policy_not_table", file_name, None, element, key=element))
    rules = {}
    for name, spec in _table(values, "deadlines", file_name, problems).items():
        try:
            rules[name] = rule = _rule(name, spec)
            if rule.unit in OPENING_UNITS and "hours" not in organisation:
                raise CalendarError(Wording("rule_without_hours", rule=name, unit=rule.unit))
        except CalendarError as exc:
            problems.append(Problem(file_name, None, f"deadlines.{name}", wording_of(exc)))
    _check_publication(_table(values, "publication", file_name, problems), file_name, problems)
    if problems:
        raise PolicyError(problems)
    rulebook = RuleBook(rules, default_calendar=calendar, calendars=calendars)
    return Policy(values, calendar, rulebook)


def _calendar(
    table: Mapping[str, Any],
    element: str,
    base: BusinessCalendar | None,
    file_name: str,
    problems: list[Problem],
) -> BusinessCalendar:
    """The calendar ``table`` describes, on top of ``base`` (the organisation's) when given.

    Each problem goes to ``problems``, and a stand-in calendar is returned.
    """
    found = len(problems)

    def problem(key: str | None, message: str) -> None:
        problems.append(Problem(file_name, None, f"{element}.{key}" if key else element, message))

    for key in table:
        if key not in CALENDAR_SETTINGS:
            allowed = ", ".join(CALENDAR_SETTINGS)
            problem(None, Wording("calendar_unknown_key", key=repr(key), allowed=allowed))
    if base is None or "country" in table:
        settings: dict[str, Any] = {"country": table.get("country", "FR")}
    else:
        settings = {"country": base.country, "subdivision": base.subdivision}
        settings["timezone"] = base.timezone
    settings.update({key: table[key] for key in ("subdivision", "timezone") if key in table})
    for key, setting, read in (
        ("closures", "extra_closures", closing_dates),
        ("yearly_closures", "yearly_closures", yearly_closing_days),
    ):
        if key in table:
            settings[setting], wordings = read(table[key], key)
            for wording in wordings:
                problem(key, wording)
        elif base is not None:
            settings[setting] = getattr(base, setting)
    if "hours" in table and not isinstance(table["hours"], Mapping):
        problem("hours", Wording("policy_not_table", key=f"{element}.hours"))
    elif "hours" in table:
        settings["hours"], wordings = opening_hours(table["hours"])
        for day, wording in wordings:
            problem(f"hours.{day}" if day else "hours", wording)
    elif base is not None:
        settings["hours"] = base.hours
    stand_in = base or BusinessCalendar("FR")
    try:
        calendar = BusinessCalendar(**settings)
    except (CalendarError, TypeError) as exc:
        problem(None, wording_of(exc))
        return stand_in
    return calendar if len(problems) == found else stand_in


def _table(values: Mapping[str, Any], key: str, file_name: str, problems: list[Problem]) -> dict:
    """The TOML table ``[key]`` (empty when absent); anything else is a problem."""
    table = values.get(key, {})
    if isinstance(table, Mapping):
        return dict(table)
    problems.append(Problem.of("policy_not_table", file_name, None, key, key=key))
    return {}


def _check_publication(
    publication: Mapping[str, Any], file_name: str, problems: list[Problem]
) -> None:
    """``[publication]`` is what customers read: each text needs one version per language."""
    texts = [
        (f"publication.{key}", publication[key]) for key in PUBLICATION_TEXTS if key in publication
    ]
    values = publication.get("values", [])
    if not isinstance(values, list):
        problems.append(
            Problem.of("policy_values_not_tables", file_name, None, "publication.values")
        )
        values = []
    texts += [(f"publication.values[{n}]", text) for n, text in enumerate(values, start=1)]
    for element, text in texts:
        if not isinstance(text, Mapping) or not all(
            isinstance(text.get(language), str) and text[language].strip() for language in LANGUAGES
        ):
            wanted = ", ".join(f'{language} = "…"' for language in LANGUAGES)
            problems.append(
                Problem.of("policy_text_per_language", file_name, None, element, wanted=wanted)
            )
    for key in PUBLICATION_SETTINGS:
        if not isinstance(publication.get(key, ""), str):
            problems.append(Problem.of("policy_not_text", file_name, None, f"publication.{key}"))


def _rule(name: str, spec: Any) -> DeadlineRule:
    if not isinstance(spec, Mapping):
        raise CalendarError(Wording("rule_not_table", rule=name))
    if "preset" in spec:
        preset = spec["preset"]
        if not isinstance(preset, str) or preset not in PRESET_RULES:
            known = ", ".join(sorted(PRESET_RULES))
            raise CalendarError(
                Wording("rule_unknown_preset", rule=name, preset=preset, known=known)
            )
        if "pause_while" in spec and PRESET_RULES[preset].legal:
            raise CalendarError(Wording("rule_pause_legal", rule=name))
        extra = set(spec) - {"preset", "warning"}
        if extra:
            raise CalendarError(
                Wording("rule_preset_extra", rule=name, keys=", ".join(sorted(extra)))
            )
        rule = dataclasses.replace(PRESET_RULES[preset], name=name)
        if "warning" in spec:
            rule = dataclasses.replace(rule, warning_ratio=spec["warning"])  # validated on creation
        return rule
    return DeadlineRule.from_mapping(name, spec)


def _toml_line(exc: tomllib.TOMLDecodeError) -> int | None:
    message = str(exc)
    marker = "(at line "
    if marker in message:
        return int(message.split(marker, 1)[1].split(",", 1)[0])
    return None


DEFAULT_POLICY = Policy()
