"""`leadclock import FILE.csv`: many leads at once, through the same intake as the webhook.

The whole file is validated first; one bad row means nothing is imported and every problem is
reported with its line, so a fixed file can simply be imported again (intake is idempotent on
`external_id`, so rows already imported are reported as duplicates, not doubled).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.flows.intake import IncomingLead
from bot.intake_payload import BadLead, lead_from_mapping

KNOWN_COLUMNS = frozenset(
    {
        "external_id",
        "score",
        "name",
        "email",
        "company",
        "source",
        "qualified_at",
        "region",
        "segment",
    }
)


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str


def read_leads(path: Path) -> tuple[list[IncomingLead], list[ImportProblem]]:
    """Rows as validated leads, or the problems found (with 1-based file line numbers)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return [], [ImportProblem(0, f"cannot read {path}: {error}")]
    reader = csv.DictReader(text.splitlines())
    if (
        not reader.fieldnames
        or "external_id" not in reader.fieldnames
        or "score" not in reader.fieldnames
    ):
        return [], [ImportProblem(1, "the header row must name at least external_id and score")]
    incoming: list[IncomingLead] = []
    problems: list[ImportProblem] = []
    for row in reader:
        try:
            incoming.append(lead_from_mapping(_row_values(row)))
        except BadLead as error:
            problems.append(ImportProblem(reader.line_num, str(error)))
    return incoming, problems


def _row_values(row: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for key, raw in row.items():
        value = (raw or "").strip() if isinstance(raw, str) else raw
        if key in KNOWN_COLUMNS:
            if value not in ("", None):
                values[key] = value
        elif key:
            fields[key] = value
    if "score" in values:
        values["score"] = _number(values["score"])
    values["fields"] = fields
    return values


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # left as text so validation says "score … must be a number"
