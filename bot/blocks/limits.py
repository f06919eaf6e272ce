"""Slack's Block Kit limits, as numbers for the builders and as rules for the stand-in.

Slack refuses a whole message or view when one block breaks one of these (chat.* answer
`invalid_blocks`, views.* `invalid_arguments`, each with a json-pointer per problem), and it
refuses the same content every time: an alert the courier retries as it was would never go
out. So the builders size what they write from these numbers, and the Slack stand-in, and the
tests of replies that never pass through it, check what was written with `block_errors`.

Only the block types and fields leadclock writes are checked in depth (section, header,
context, actions with buttons, divider); other known types pass unchecked rather than be
refused where Slack would take them. Problems are worded as Slack words them, json-pointer
included, so the stand-in answers as Slack does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # App Home tabs and modals
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000  # each text element of a context block
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
BLOCK_ID = 255

MESSAGE_TEXT = 40_000
"""A message's top-level `text`: beyond this chat.postMessage answers `msg_too_long`."""

TEXT_SHOWN = 4000
"""Slack's advice for a message's top-level `text` (the notification, and what clients without
blocks show): keep it to 4,000 characters for it to be shown whole."""

_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)


def block_errors(blocks: object, *, max_blocks: int, at: str = "/blocks") -> list[str]:
    """What Slack would say is wrong with `blocks` (empty when it would take them), one
    problem per broken rule, e.g. "must be less than 3001 characters
    [json-pointer:/blocks/2/text/text]". `at` is where the blocks sit in the request:
    `/blocks` for messages, `/view/blocks` for views."""
    if not isinstance(blocks, list):
        return [_problem("must be an array", at)]
    problems = []
    if len(blocks) > max_blocks:
        problems.append(_problem(f"no more than {max_blocks} items allowed", at))
    for index, block in enumerate(blocks):
        problems += _block_errors(block, f"{at}/{index}")
    return problems


def _block_errors(block: object, at: str) -> list[str]:
    if not isinstance(block, dict):
        return [_problem("must be an object", at)]
    kind = block.get("type")
    if not isinstance(kind, str):
        return [_problem("missing required field: type", at)]
    if kind not in _BLOCK_TYPES:
        return [_problem(f"unsupported type: {kind}", f"{at}/type")]
    problems = _too_long(block.get("block_id"), BLOCK_ID, f"{at}/block_id")
    if kind == "section":
        problems += _section_errors(block, at)
    elif kind == "header":
        problems += _text_errors(block.get("text"), HEADER_TEXT, f"{at}/text", required=True)
    elif kind == "context":
        problems += _elements_errors(block, CONTEXT_ELEMENTS, at, _context_element_errors)
    elif kind == "actions":
        problems += _elements_errors(block, ACTIONS_ELEMENTS, at, _action_element_errors)
    return problems


def _section_errors(block: dict[str, Any], at: str) -> list[str]:
    fields = block.get("fields")
    if "text" not in block and fields is None:
        return [_problem("missing required field: text", at)]
    problems = _text_errors(block.get("text"), SECTION_TEXT, f"{at}/text", required=False)
    if fields is not None:
        if not isinstance(fields, list):
            return [*problems, _problem("must be an array", f"{at}/fields")]
        if len(fields) > SECTION_FIELDS:
            problems.append(
                _problem(f"no more than {SECTION_FIELDS} items allowed", f"{at}/fields")
            )
        for index, field in enumerate(fields):
            problems += _text_errors(field, FIELD_TEXT, f"{at}/fields/{index}", required=True)
    return problems


def _elements_errors(
    block: dict[str, Any], most: int, at: str, check: Callable[[object, str], list[str]]
) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list):
        return [_problem("missing required field: elements", at)]
    problems = []
    if len(elements) > most:
        problems.append(_problem(f"no more than {most} items allowed", f"{at}/elements"))
    for index, element in enumerate(elements):
        problems += check(element, f"{at}/elements/{index}")
    return problems


def _context_element_errors(element: object, at: str) -> list[str]:
    if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
        return _text_errors(element, CONTEXT_TEXT, at, required=True)
    return []  # images, which leadclock does not write


def _action_element_errors(element: object, at: str) -> list[str]:
    if not isinstance(element, dict) or element.get("type") != "button":
        return []  # menus and pickers, which leadclock does not write
    return [
        *_text_errors(element.get("text"), BUTTON_TEXT, f"{at}/text", required=True),
        *_too_long(element.get("value"), BUTTON_VALUE, f"{at}/value"),
        *_too_long(element.get("action_id"), ACTION_ID, f"{at}/action_id"),
    ]


def _text_errors(text: object, most: int, at: str, *, required: bool) -> list[str]:
    """A text object: `{"type": "mrkdwn" | "plain_text", "text": "…"}`, 1 to `most` chars."""
    if text is None and not required:
        return []
    if not isinstance(text, dict) or not isinstance(text.get("text"), str):
        return [_problem("missing required field: text", at)]
    if not text["text"]:
        return [_problem("must be more than 0 characters", f"{at}/text")]
    return _too_long(text["text"], most, f"{at}/text")


def _too_long(value: object, most: int, at: str) -> list[str]:
    if isinstance(value, str) and len(value) > most:
        return [_problem(f"must be less than {most + 1} characters", at)]
    return []


def _problem(what: str, at: str) -> str:
    return f"{what} [json-pointer:{at}]"
