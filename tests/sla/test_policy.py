"""The policy file: contract defaults, partial overrides, and messages that name key and problem."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from sla.calendar import DailyRange
from sla.durations import parse_duration
from sla.policy import PolicyError, ReminderRule
from sla.policy_file import DEFAULT_POLICY, MAX_BUSINESS_DURATION, load_policy, parse_policy
from sla.routing import RepConfig, RoutingStrategy

CONTRACT_EXAMPLE = """
[sla]
qualify_score_above = 65          # strictly above qualifies
first_contact_within = "4h"       # business time from qualification to the first attempt
min_attempts = 5                  # before a lead may be disqualified (unless connected)
follow_up_within = "8h"           # business time allowed between attempts
monthly_qualified_target = 150    # marketing's side
reminders = ["50%", "15m"]        # DM nudges before each deadline
reassign_on_breach = false        # true: a breached lead moves to the next rep

[hours]
timezone = "America/New_York"     # IANA zone of the team's business calendar
mon = "09:00-17:00"               # one or more ranges
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"               # a day left out is closed
holidays = ["2026-12-25"]         # whole local days closed
# holiday_country = "US"          # optional: add a country's public holidays

[routing]
strategy = "round_robin"          # round_robin | weighted | least_loaded

[[reps]]
slack_id = "U0123ABCD"
weight = 1                        # used by weighted
max_open = 30                     # capacity: never more open leads than this
regions = ["EMEA"]                # optional rules
segments = ["enterprise"]

[slack]
sla_channel = "C0SLA"             # breach alerts, daily summary, weekly digest
managers = ["U0MGR"]              # may reassign, act on any lead, get escalations
daily_summary_at = "17:30"        # local time of [hours].timezone, business days only
weekly_digest_at = "mon 09:00"
"""

NINE_TO_FIVE = (DailyRange(9 * 3600, 17 * 3600),)


def test_defaults_are_the_contract_example():
    policy = DEFAULT_POLICY
    assert parse_policy("") == policy
    assert parse_policy(CONTRACT_EXAMPLE) == policy
    sla = policy.sla
    assert sla.qualify_score_above == 65
    assert sla.first_contact_within == timedelta(hours=4)
    assert sla.min_attempts == 5
    assert sla.follow_up_within == timedelta(hours=8)
    assert sla.monthly_qualified_target == 150
    assert sla.reminders == (ReminderRule(share=0.5), ReminderRule(before=timedelta(minutes=15)))
    assert sla.reassign_on_breach is False
    assert policy.calendar.timezone == "America/New_York"
    assert policy.calendar.week == (NINE_TO_FIVE,) * 5 + ((), ())
    assert policy.calendar.holidays == frozenset({date(2026, 12, 25)})
    assert policy.calendar.holiday_country is None
    assert policy.routing_strategy is RoutingStrategy.ROUND_ROBIN
    assert policy.reps == (
        RepConfig("U0123ABCD", 1, 30, frozenset({"emea"}), frozenset({"enterprise"})),
    )
    assert policy.slack.sla_channel == "C0SLA"
    assert policy.slack.managers == frozenset({"U0MGR"})
    assert policy.slack.daily_summary_at == time(17, 30)
    assert policy.slack.weekly_digest_at == (0, time(9, 0))


def test_helpers():
    policy = DEFAULT_POLICY
    assert policy.is_manager("U0MGR") and not policy.is_manager("U0123ABCD")
    assert policy.rep("U0123ABCD") == policy.reps[0]
    assert policy.rep("U0MGR") is None
    assert not policy.qualifies(65)
    assert policy.qualifies(65.01)


def test_partial_file_overrides_only_what_it_states():
    policy = parse_policy("[sla]\nmin_attempts = 3\n[routing]\nstrategy = 'weighted'\n")
    assert policy.sla.min_attempts == 3
    assert policy.sla.first_contact_within == timedelta(hours=4)
    assert policy.routing_strategy is RoutingStrategy.WEIGHTED
    assert policy.calendar == DEFAULT_POLICY.calendar


def test_naming_any_day_closes_the_days_left_out():
    policy = parse_policy('[hours]\ntimezone = "Europe/Berlin"\nsat = "22:00-06:00"\n')
    assert policy.calendar.timezone == "Europe/Berlin"
    assert policy.calendar.week == ((),) * 5 + ((DailyRange(22 * 3600, 6 * 3600),), ())
    assert policy.calendar.holidays == frozenset({date(2026, 12, 25)})


def test_hours_without_days_keep_the_example_week():
    policy = parse_policy('[hours]\ntimezone = "Asia/Tokyo"\nholidays = []\n')
    assert policy.calendar.week == (NINE_TO_FIVE,) * 5 + ((), ())
    assert policy.calendar.holidays == frozenset()


def test_holidays_accept_toml_dates_and_strings_and_a_country():
    policy = parse_policy(
        '[hours]\nholidays = [2026-12-24, "2026-12-31"]\nholiday_country = "US"\n'
    )
    assert policy.calendar.holidays == frozenset({date(2026, 12, 24), date(2026, 12, 31)})
    assert policy.calendar.holiday_country == "US"
    assert not policy.calendar.is_business_day(date(2026, 7, 3))  # US Independence Day observed


def test_reps_replace_the_example_list_and_fold_case():
    policy = parse_policy(
        '[[reps]]\nslack_id = "U1"\n[[reps]]\nslack_id = "W2"\nweight = 3\nmax_open = 5\n'
        'regions = ["APAC", " Amer "]\nsegments = ["SMB"]\n'
    )
    assert policy.reps == (
        RepConfig("U1"),
        RepConfig("W2", 3, 5, frozenset({"apac", "amer"}), frozenset({"smb"})),
    )


def test_reminder_rules_and_their_text():
    policy = parse_policy('[sla]\nreminders = ["25%", "12.5%", "1h30m", "45s"]\n')
    rules = policy.sla.reminders
    assert rules == (
        ReminderRule(share=0.25),
        ReminderRule(share=0.125),
        ReminderRule(before=timedelta(hours=1, minutes=30)),
        ReminderRule(before=timedelta(seconds=45)),
    )
    assert [r.text for r in rules] == ["25%", "12.5%", "1h30m", "45s"]
    assert parse_policy("[sla]\nreminders = []\n").sla.reminders == ()
    with pytest.raises(ValueError, match="either a share or a time"):
        ReminderRule()


def test_durations_up_to_the_cap_load():
    assert MAX_BUSINESS_DURATION == timedelta(hours=1000)
    policy = parse_policy('[sla]\nfirst_contact_within = "1000h"\nreminders = ["999h59m59s"]\n')
    assert policy.sla.first_contact_within == MAX_BUSINESS_DURATION
    assert policy.sla.reminders == (ReminderRule(before=timedelta(hours=1000, seconds=-1)),)


def test_parse_duration_refuses_a_duration_too_long_to_represent_with_a_value_error():
    assert parse_duration("23999999999h") == timedelta(hours=23_999_999_999)
    for text in ("99999999999999h", "99999999999999999999m", "9" * 5000 + "s"):
        with pytest.raises(ValueError, match="is too long to be a duration"):
            parse_duration(text)


def test_empty_sla_channel_means_none():
    assert parse_policy('[slack]\nsla_channel = ""\n').slack.sla_channel is None


def test_weekly_digest_day_and_time():
    policy = parse_policy('[slack]\nweekly_digest_at = "Fri 16:00"\n')
    assert policy.slack.weekly_digest_at == (4, time(16, 0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[sla]\nmin_attempts = "five"',
            'leadclock.toml: [sla].min_attempts must be a whole number >= 1 (got "five")',
        ),
        (
            "[sla]\nmin_attempts = 0",
            "leadclock.toml: [sla].min_attempts must be a whole number >= 1 (got 0)",
        ),
        (
            "[sla]\nmin_attempts = 2.5",
            "leadclock.toml: [sla].min_attempts must be a whole number >= 1 (got 2.5)",
        ),
        (
            "[sla]\nmin_attempt = 5",
            "leadclock.toml: unknown key [sla].min_attempt (did you mean min_attempts?)",
        ),
        (
            '[sla]\nqualify_score_above = "high"',
            'leadclock.toml: [sla].qualify_score_above must be a number (got "high")',
        ),
        (
            "[sla]\nqualify_score_above = nan",
            "leadclock.toml: [sla].qualify_score_above must be a finite number (got nan)",
        ),
        ("[sla]\nqualify_score_above = inf", "must be a finite number (got inf)"),
        ("[sla]\nqualify_score_above = -inf", "must be a finite number (got -inf)"),
        (
            '[sla]\nreassign_on_breach = "yes"',
            'leadclock.toml: [sla].reassign_on_breach must be true or false (got "yes")',
        ),
        (
            '[sla]\nfirst_contact_within = "0m"',
            'leadclock.toml: [sla].first_contact_within must be longer than zero (got "0m")',
        ),
        (
            '[sla]\nfollow_up_within = "a day"',
            'leadclock.toml: [sla].follow_up_within must be a business duration like "4h", "90m" '
            'or "1h30m" (got "a day")',
        ),
        (
            '[sla]\nfirst_contact_within = "99999999999999h"',
            "leadclock.toml: [sla].first_contact_within must be at most 1000h of business time "
            '(got "99999999999999h")',
        ),
        (
            '[sla]\nfollow_up_within = "99999999999999h"',
            "leadclock.toml: [sla].follow_up_within must be at most 1000h of business time",
        ),
        (
            '[sla]\nfollow_up_within = "1000h1s"',
            '[sla].follow_up_within must be at most 1000h of business time (got "1000h1s")',
        ),
        (
            "[sla]\nfollow_up_within = 8",
            'leadclock.toml: [sla].follow_up_within must be a business duration like "4h", "90m" '
            'or "1h30m" (got 8)',
        ),
        (
            '[sla]\nreminders = ["50%", "100%"]',
            'leadclock.toml: [sla].reminders entry "100%" must be a share of the window like "50%" '
            '(more than 0%, less than 100%) or the time left like "15m"',
        ),
        ('[sla]\nreminders = ["0%"]', '[sla].reminders entry "0%" must be'),
        ('[sla]\nreminders = ["0m"]', '[sla].reminders entry "0m" must be'),
        ('[sla]\nreminders = ["soon"]', '[sla].reminders entry "soon" must be'),
        (
            '[sla]\nreminders = ["99999999999999999h"]',
            'leadclock.toml: [sla].reminders entry "99999999999999999h" must be a time left of at '
            "most 1000h",
        ),
        ('[sla]\nreminders = ["1001h"]', '[sla].reminders entry "1001h" must be a time left of'),
        ('[sla]\nreminders = ["15m", "15m"]', 'leadclock.toml: [sla].reminders lists "15m" twice'),
        (
            "[sla]\nreminders = [50]",
            "leadclock.toml: [sla].reminders must be a list of strings (got [50])",
        ),
        (
            "[sla]\nmonthly_qualified_target = -1",
            "[sla].monthly_qualified_target must be a whole number >= 1 (got -1)",
        ),
        (
            '[hours]\ntimezone = "Mars/Base"',
            'leadclock.toml: [hours].timezone "Mars/Base" is not an IANA time zone; '
            'use a name like "America/New_York"',
        ),
        ('[hours]\nmon = "9-5"', 'leadclock.toml: [hours].mon "9-5": "9-5" is not a range'),
        ('[hours]\nmon = "09:00-12:00,11:00-17:00"', "leadclock.toml: [hours].mon "),
        ("[hours]\nmon = 9", "leadclock.toml: [hours].mon must be a string of ranges"),
        (
            '[hours]\nmonday = "09:00-17:00"',
            "leadclock.toml: unknown key [hours].monday (did you mean mon?)",
        ),
        (
            '[hours]\nmon = ""\nfri = ""',
            "leadclock.toml: [hours] has no open time; give at least one day",
        ),
        (
            '[hours]\nholidays = ["2026-13-01"]',
            'leadclock.toml: [hours].holidays entry "2026-13-01" is not a date; write it like '
            '"2026-12-25"',
        ),
        (
            '[hours]\nholidays = "2026-12-25"',
            "leadclock.toml: [hours].holidays must be a list of dates",
        ),
        ('[hours]\nholiday_country = "Atlantis"', "leadclock.toml: [hours]: holiday_country"),
        (
            '[routing]\nstrategy = "robin"',
            "leadclock.toml: [routing].strategy must be one of round_robin, weighted, least_loaded "
            '(got "robin") (did you mean round_robin?)',
        ),
        (
            '[[reps]]\nslack_id = "U1"\n[[reps]]\nslack_id = "U2"\n[[reps]]\nslack_id = "U1"',
            'leadclock.toml: [[reps]] #3.slack_id "U1" is already used by [[reps]] #1',
        ),
        (
            '[[reps]]\nslack_id = "U1"\nweight = 0',
            "leadclock.toml: [[reps]] #1.weight must be a whole number >= 1 (got 0)",
        ),
        (
            '[[reps]]\nslack_id = "U1"\nmax_open = 0',
            "leadclock.toml: [[reps]] #1.max_open must be a whole number >= 1 (got 0)",
        ),
        (
            '[[reps]]\nslack_id = "@alice"',
            'leadclock.toml: [[reps]] #1.slack_id must be a Slack user id like "U0123ABCD" '
            '(got "@alice")',
        ),
        (
            '[[reps]]\nslack_id = "U1"\nregion = ["EMEA"]',
            "leadclock.toml: unknown key [[reps]] #1.region (did you mean regions?)",
        ),
        (
            '[[reps]]\nslack_id = "U1"\nregions = "EMEA"',
            'leadclock.toml: [[reps]] #1.regions must be a list of strings (got "EMEA")',
        ),
        (
            '[[reps]]\nslack_id = "U1"\nsegments = [""]',
            'leadclock.toml: [[reps]] #1.segments entry "" is not a non-empty string',
        ),
        ("[[reps]]\nweight = 2", "leadclock.toml: [[reps]] #1 needs a slack_id"),
        ("reps = []", "leadclock.toml: [[reps]] lists nobody"),
        ('[reps]\nslack_id = "U1"', "leadclock.toml: reps must be written as [[reps]] tables"),
        (
            '[slack]\ndaily_summary_at = "25:00"',
            'leadclock.toml: [slack].daily_summary_at must be a time of day like "17:30" '
            '(got "25:00")',
        ),
        (
            '[slack]\nweekly_digest_at = "09:00"',
            "leadclock.toml: [slack].weekly_digest_at must be a weekday and a time like "
            '"mon 09:00" (got "09:00")',
        ),
        ('[slack]\nweekly_digest_at = "funday 09:00"', "[slack].weekly_digest_at must be"),
        (
            '[slack]\nweekly_digest_at = "mon 9pm"',
            '[slack].weekly_digest_at must be a time of day like "17:30" (got "mon 9pm")',
        ),
        (
            '[slack]\nmanagers = ["alice"]',
            'leadclock.toml: [slack].managers entry "alice" is not a Slack user id like "U0MGR"',
        ),
        (
            '[slack]\nsla_channel = "#sla"',
            'leadclock.toml: [slack].sla_channel must be a Slack channel id like "C0SLA", or "" '
            'for none (got "#sla")',
        ),
        (
            "[slak]\nsla_channel = 'C1'",
            "leadclock.toml: unknown section [slak] (did you mean slack?)",
        ),
        (
            '[[slak]]\nsla_channel = "C1"',
            "leadclock.toml: unknown section [slak] (did you mean slack?)",
        ),
        (
            'timezone = "UTC"\n[sla]\nmin_attempts = 5',
            "leadclock.toml: unknown top-level key timezone; it belongs in the [hours] section",
        ),
        (
            'slack_id = "U1"',
            "leadclock.toml: unknown top-level key slack_id; it belongs in the [[reps]] section",
        ),
        (
            "attempts = 5",
            "leadclock.toml: unknown top-level key attempts; keys belong in a section: [sla], "
            "[hours], [routing], [[reps]], [slack]",
        ),
        ("sla = 5", "leadclock.toml: [sla] must be a table (got 5)"),
        ("[sla\nmin_attempts = 5", "leadclock.toml: is not valid TOML: "),
    ],
)
def test_bad_files_name_the_key_and_the_problem(text, message):
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith("leadclock.toml: ")


def test_invalid_toml_reports_line_and_column():
    with pytest.raises(PolicyError, match=r"line 3, column \d+"):
        parse_policy('[sla]\nmin_attempts = 5\nreminders = "50%\n[hours]\n')


def test_messages_name_the_source():
    with pytest.raises(PolicyError, match=r"^/etc/team\.toml: \[sla\]\.min_attempts"):
        parse_policy("[sla]\nmin_attempts = 0", source="/etc/team.toml")


def test_load_policy_reads_the_file(tmp_path: Path):
    path = tmp_path / "leadclock.toml"
    path.write_text('[sla]\nmin_attempts = 2\n[hours]\nmon = "08:00-12:00"\n', encoding="utf-8")
    policy = load_policy(path)
    assert policy.sla.min_attempts == 2
    assert policy.calendar.week[0] == (DailyRange(8 * 3600, 12 * 3600),)


def test_load_policy_problems_name_the_path(tmp_path: Path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(PolicyError, match=rf"^{missing}: cannot read the policy file"):
        load_policy(missing)
    bad = tmp_path / "bad.toml"
    bad.write_text("[sla]\nmin_attempts = 0\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"^{bad}: \[sla\]\.min_attempts"):
        load_policy(bad)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PolicyError, match="is not UTF-8 text"):
        load_policy(binary)


def test_holidays_that_close_a_year_are_refused_at_load():
    # open on Mondays only, and every Monday of 2027 (and the first of 2028) is a holiday
    mondays = [date(2027, 1, 4) + timedelta(weeks=n) for n in range(53)]
    listed = ", ".join(f'"{day}"' for day in mondays)
    with pytest.raises(PolicyError) as caught:
        parse_policy(f'[hours]\nmon = "09:00-17:00"\nholidays = [{listed}]\n')
    assert str(caught.value).startswith(
        "leadclock.toml: [hours]: holidays leave no business hours for a year or more from "
        "2026-12-29"
    )
    # without the last two Mondays the closure is 363 days: the file loads
    listed = ", ".join(f'"{day}"' for day in mondays[:-2])
    assert parse_policy(f'[hours]\nmon = "09:00-17:00"\nholidays = [{listed}]\n')
