"""`leadclock report`: a month's figures for the revenue meeting, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from sla.figures import Figures, Tally

COLUMNS = (
    "scope",
    "received",
    "qualified",
    "rejected",
    "accepted",
    "first_contacts_owed",
    "contacted",
    "contacted_on_time",
    "on_time_rate",
    "awaiting_overdue",
    "breaches",
    "attempts",
    "converted",
    "disqualified",
    "open",
)


def _row(scope: str, t: Tally) -> dict[str, Any]:
    rate = t.on_time_rate
    return {
        "scope": scope,
        **asdict(t),
        "accepted": t.accepted,
        "on_time_rate": None if rate is None else round(rate, 4),
    }


def rows(figures: Figures) -> list[dict[str, Any]]:
    return [_row("team", figures.team), *(_row(rep, t) for rep, t in figures.by_rep.items())]


def render(figures: Figures, fmt: str) -> str:
    table = rows(figures)
    if fmt == "json":
        return json.dumps(
            {
                "month": figures.period.label,
                "target": figures.target,
                "target_share": figures.target_share,
                "rows": table,
            },
            indent=2,
        )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in table:
            writer.writerow({k: "" if row[k] is None else row[k] for k in COLUMNS})
        return out.getvalue().rstrip("\n")
    return _table(figures, table)


def _table(figures: Figures, table: list[dict[str, Any]]) -> str:
    def cell(value: Any, column: str) -> str:
        if value is None:
            return "—"
        return f"{value:.0%}" if column == "on_time_rate" else str(value)

    widths = {c: max(len(c), *(len(cell(r[c], c)) for r in table)) for c in COLUMNS}
    lines = [
        f"Lead SLA report {figures.period.label} · marketing target {figures.target}, "
        f"accepted {figures.team.accepted}",
        "  ".join(c.ljust(widths[c]) for c in COLUMNS),
    ]
    lines += ["  ".join(cell(r[c], c).ljust(widths[c]) for c in COLUMNS) for r in table]
    return "\n".join(lines)
