"""The policy file (`leadclock.toml`): parsed once, validated completely, then frozen into a Policy.

Why so strict: the policy decides deadlines that people are measured against, so a typo must stop
the app at start-up with a message that names the file, the key and the problem, never quietly
fall back to a default. Why defaults at all: every key and section that is left out takes the
value from the contract's example, so a small file states only what differs from it.

Two merge rules are not "key by key": in `[hours]`, once any day (mon..sun) is given, the days
left out are closed (the contract's rule) rather than taking the example's hours; and a file with
any `[[reps]]` entry replaces the example's rep list as a whole.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla.calendar import BusinessCalendar, CalendarError, DailyRange, parse_ranges
from sla.durations import DurationTooLongError, parse_duration
from sla.policy import Policy, PolicyError, ReminderRule, SlackSettings, SlaTerms
from sla.policy_example import CONTRACT_EXAMPLE
from sla.routing import RepConfig, RoutingStrategy

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]+$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_SHARE = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")

MAX_BUSINESS_DURATION = timedelta(hours=1000)
"""The longest window (and reminder time left) a policy may state: 25 weeks of 40 business hours.

Anything longer is taken for a typo, such as a digit too many, rather than a real SLA; and a
deadline that far out would make every business-time calculation walk years of calendar, or run
past the last date Python can represent.
"""
_LONGEST = f"{MAX_BUSINESS_DURATION // timedelta(hours=1)}h"

_DEFAULTS: dict[str, Any] = tomllib.loads(CONTRACT_EXAMPLE)
_KEYS = {name: frozenset(t[0] if name == "reps" else t) for name, t in _DEFAULTS.items()}
_KEYS["hours"] |= {"holiday_country", *DAYS}


def load_policy(path: Path) -> Policy:
    """Read and parse the policy file at `path`; any problem becomes a PolicyError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise PolicyError(f"{path}: is not UTF-8 text ({err.reason})") from err
    except OSError as err:
        raise PolicyError(f"{path}: cannot read the policy file ({err.strerror or err})") from err
    return parse_policy(text, source=str(path))


def parse_policy(text: str, source: str = "leadclock.toml") -> Policy:
    """Parse policy TOML; `source` names the file in error messages."""
    try:
        given = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"{source}: is not valid TOML: {err}") from err
    for name, value in given.items():
        if name not in _KEYS:
            raise PolicyError(f"{source}: {_unknown_top_level(name, value)}")

    def section(name: str) -> _Table:
        table = given.get(name, {})
        if not isinstance(table, dict):
            raise PolicyError(f"{source}: [{name}] must be a table (got {_shown(table)})")
        _reject_unknown(source, f"[{name}]", table, _KEYS[name])
        merged = dict(_DEFAULTS[name])
        if name == "hours" and any(day in table for day in DAYS):
            merged = {k: v for k, v in merged.items() if k not in DAYS}
        return _Table(source, f"[{name}]", {**merged, **table})

    return Policy(
        sla=_sla_terms(section("sla")),
        calendar=_calendar(section("hours")),
        routing_strategy=_strategy(section("routing")),
        reps=_reps(source, given.get("reps", _DEFAULTS["reps"])),
        slack=_slack(section("slack")),
    )


class _Table:
    """One table of the file with typed getters that fail with the file, key and value."""

    def __init__(self, source: str, where: str, values: dict[str, Any]) -> None:
        self.source, self.where, self.values = source, where, values

    def error(self, key: str, problem: str) -> PolicyError:
        return PolicyError(f"{self.source}: {self.where}.{key} {problem}")

    def wrong(self, key: str, expected: str) -> PolicyError:
        return self.error(key, f"must be {expected} (got {_shown(self.values[key])})")

    def whole(self, key: str, minimum: int) -> int:
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.wrong(key, f"a whole number >= {minimum}")
        return value

    def number(self, key: str) -> float:
        """A number; TOML's nan and inf are refused, as no score compares sensibly with them."""
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.wrong(key, "a number")
        if not math.isfinite(value):
            raise self.wrong(key, "a finite number")
        return float(value)

    def flag(self, key: str) -> bool:
        if not isinstance(self.values[key], bool):
            raise self.wrong(key, "true or false")
        return self.values[key]

    def text(self, key: str, expected: str = "a string") -> str:
        if not isinstance(self.values[key], str):
            raise self.wrong(key, expected)
        return self.values[key]

    def texts(self, key: str, check: Callable[[str], bool] = bool, what: str = "") -> list[str]:
        """A list of strings, each passing `check` (non-empty by default)."""
        value = self.values[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.wrong(key, "a list of strings")
        for item in value:
            if not check(item.strip()):
                raise self.error(key, f"entry {_shown(item)} is not {what or 'a non-empty string'}")
        return [item.strip() for item in value]

    def duration(self, key: str) -> timedelta:
        expected = 'a business duration like "4h", "90m" or "1h30m"'
        try:
            length = _business_duration(self.text(key, expected))
        except ValueError:
            raise self.wrong(key, expected) from None
        if not length:
            raise self.wrong(key, "longer than zero")
        if length > MAX_BUSINESS_DURATION:
            raise self.wrong(key, f"at most {_LONGEST} of business time")
        return length


def _business_duration(text: str) -> timedelta:
    """`parse_duration`, but a duration too long for a timedelta comes back as the longest one.

    Such a value is over `MAX_BUSINESS_DURATION` too, so it is reported as too long, which it is,
    rather than as not being a duration at all.
    """
    try:
        return parse_duration(text)
    except DurationTooLongError:
        return timedelta.max


def _sla_terms(t: _Table) -> SlaTerms:
    return SlaTerms(
        qualify_score_above=t.number("qualify_score_above"),
        first_contact_within=t.duration("first_contact_within"),
        min_attempts=t.whole("min_attempts", 1),
        follow_up_within=t.duration("follow_up_within"),
        monthly_qualified_target=t.whole("monthly_qualified_target", 1),
        reminders=_reminders(t),
        reassign_on_breach=t.flag("reassign_on_breach"),
    )


def _reminders(t: _Table) -> tuple[ReminderRule, ...]:
    rules: list[ReminderRule] = []
    for item in t.texts("reminders"):
        rule = _reminder(item)
        if rule is None:
            raise t.error(
                "reminders",
                f'entry "{item}" must be a share of the window like "50%" (more than 0%, '
                'less than 100%) or the time left like "15m"',
            )
        if rule.before is not None and rule.before > MAX_BUSINESS_DURATION:
            raise t.error("reminders", f'entry "{item}" must be a time left of at most {_LONGEST}')
        if rule in rules:
            raise t.error("reminders", f'lists "{item}" twice')
        rules.append(rule)
    return tuple(rules)


def _reminder(item: str) -> ReminderRule | None:
    share = _SHARE.match(item)
    if share:
        percent = float(share.group(1))
        return ReminderRule(share=percent / 100) if 0 < percent < 100 else None
    try:
        before = _business_duration(item)
    except ValueError:
        return None
    return ReminderRule(before=before) if before else None


def _calendar(t: _Table) -> BusinessCalendar:
    zone = t.text("timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise t.error(
            "timezone", f'"{zone}" is not an IANA time zone; use a name like "America/New_York"'
        ) from None
    week: list[tuple[DailyRange, ...]] = []
    for day in DAYS:
        if day not in t.values:
            week.append(())
            continue
        hours = t.text(day, 'a string of ranges like "09:00-17:00"')
        try:
            week.append(parse_ranges(hours))
        except CalendarError as err:
            raise t.error(day, f'"{hours}": {err}') from None
    if not any(week):
        raise PolicyError(
            f'{t.source}: [hours] has no open time; give at least one day, like mon = "09:00-17:00"'
        )
    country = t.values.get("holiday_country")
    if country is not None:
        country = t.text("holiday_country", 'a country code like "US"')
    try:
        return BusinessCalendar(zone, tuple(week), _holidays(t), country)
    except CalendarError as err:
        raise PolicyError(f"{t.source}: [hours]: {err}") from None


def _holidays(t: _Table) -> frozenset[date]:
    value = t.values["holidays"]
    if not isinstance(value, list):
        raise t.wrong("holidays", 'a list of dates like ["2026-12-25"]')
    days: set[date] = set()
    for item in value:
        day = _as_date(item)
        if day is None:
            raise t.error(
                "holidays", f'entry {_shown(item)} is not a date; write it like "2026-12-25"'
            )
        days.add(day)
    return frozenset(days)


def _as_date(item: object) -> date | None:
    """A TOML date (2026-12-25) or an ISO date string ("2026-12-25"); None for anything else."""
    if isinstance(item, date) and not isinstance(item, datetime):
        return item
    try:
        return date.fromisoformat(item) if isinstance(item, str) else None
    except ValueError:
        return None


def _strategy(t: _Table) -> RoutingStrategy:
    name = t.text("strategy")
    try:
        return RoutingStrategy(name.strip().lower())
    except ValueError:
        choices = [s.value for s in RoutingStrategy]
        raise t.error(
            "strategy",
            f"must be one of {', '.join(choices)} (got {_shown(name)}){_suggest(name, choices)}",
        ) from None


def _reps(source: str, entries: object) -> tuple[RepConfig, ...]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PolicyError(f"{source}: reps must be written as [[reps]] tables")
    if not entries:
        raise PolicyError(f"{source}: [[reps]] lists nobody; add a [[reps]] table with a slack_id")
    reps: list[RepConfig] = []
    for number, entry in enumerate(entries, start=1):
        where = f"[[reps]] #{number}"
        _reject_unknown(source, where, entry, _KEYS["reps"])
        if "slack_id" not in entry:
            raise PolicyError(f'{source}: {where} needs a slack_id, like slack_id = "U0123ABCD"')
        t = _Table(
            source, where, {"weight": 1, "max_open": 30, "regions": [], "segments": [], **entry}
        )
        slack_id = t.text("slack_id").strip()
        if not _is_user_id(slack_id):
            raise t.wrong("slack_id", 'a Slack user id like "U0123ABCD"')
        earlier = next((i for i, r in enumerate(reps, start=1) if r.slack_id == slack_id), None)
        if earlier is not None:
            raise t.error("slack_id", f'"{slack_id}" is already used by [[reps]] #{earlier}')
        reps.append(
            RepConfig(
                slack_id=slack_id,
                weight=t.whole("weight", 1),
                max_open=t.whole("max_open", 1),
                regions=frozenset(t.texts("regions")),
                segments=frozenset(t.texts("segments")),
            )
        )
    return tuple(reps)


def _slack(t: _Table) -> SlackSettings:
    channel = t.text("sla_channel", 'a Slack channel id like "C0SLA", or "" for none').strip()
    if channel and not _CHANNEL_ID.match(channel):
        raise t.wrong("sla_channel", 'a Slack channel id like "C0SLA", or "" for none')
    managers = t.texts("managers", _is_user_id, 'a Slack user id like "U0MGR"')
    return SlackSettings(
        sla_channel=channel or None,
        managers=frozenset(managers),
        daily_summary_at=_time_of_day(
            t, "daily_summary_at", t.text("daily_summary_at", 'a time of day like "17:30"')
        ),
        weekly_digest_at=_weekly(t),
    )


def _time_of_day(t: _Table, key: str, text: str) -> time:
    match = _CLOCK.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise t.wrong(key, 'a time of day like "17:30"')
    return time(int(match.group(1)), int(match.group(2)))


def _weekly(t: _Table) -> tuple[int, time]:
    expected = 'a weekday and a time like "mon 09:00"'
    parts = t.text("weekly_digest_at", expected).lower().split()
    day = parts[0] if len(parts) == 2 else ""
    if day not in DAYS:
        raise t.wrong("weekly_digest_at", expected)
    return DAYS.index(day), _time_of_day(t, "weekly_digest_at", parts[1])


def _unknown_top_level(name: str, value: object) -> str:
    """The problem with a top-level name that is no section: a misspelt one, or a stray key.

    A key written above every section header lands at the top level, where TOML reads it as a
    name of its own; calling it an unknown section would send the reader looking for a typo.
    """
    if isinstance(value, dict) or (
        isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ):
        return f"unknown section [{name}]{_suggest(name, _KEYS)}"
    homes = [_header(section) for section, keys in _KEYS.items() if name in keys]
    if homes:
        return f"unknown top-level key {name}; it belongs in the {' or '.join(homes)} section"
    headers = ", ".join(_header(section) for section in _KEYS)
    return f"unknown top-level key {name}; keys belong in a section: {headers}"


def _header(section: str) -> str:
    return f"[[{section}]]" if section == "reps" else f"[{section}]"


def _reject_unknown(source: str, where: str, table: dict[str, Any], known: frozenset[str]) -> None:
    for key in table:
        if key not in known:
            raise PolicyError(f"{source}: unknown key {where}.{key}{_suggest(key, known)}")


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]}?)" if close else f"; known: {', '.join(sorted(choices))}"


def _is_user_id(text: str) -> bool:
    return _USER_ID.match(text) is not None


def _shown(value: object) -> str:
    """A value much as TOML writes it ("five", true, [1, 2], nan), so messages quote the user."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # nan, inf, -inf: TOML's spelling, where JSON would say NaN, Infinity
    return json.dumps(value, default=str, ensure_ascii=False)


DEFAULT_POLICY = parse_policy("", source="built-in defaults")
"""The contract's example policy, used when nothing overrides it."""
