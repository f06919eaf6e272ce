"""The contract's example policy (its values, without the comments): the built-in default for
every key a `leadclock.toml` leaves out, merged by `sla.policy_file`."""

CONTRACT_EXAMPLE = """
[sla]
qualify_score_above = 65
first_contact_within = "4h"
min_attempts = 5
follow_up_within = "8h"
monthly_qualified_target = 150
reminders = ["50%", "15m"]
reassign_on_breach = false

[hours]
timezone = "America/New_York"
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"
holidays = ["2026-12-25"]

[routing]
strategy = "round_robin"

[[reps]]
slack_id = "U0123ABCD"
weight = 1
max_open = 30
regions = ["EMEA"]
segments = ["enterprise"]

[slack]
sla_channel = "C0SLA"
managers = ["U0MGR"]
daily_summary_at = "17:30"
weekly_digest_at = "mon 09:00"
"""
