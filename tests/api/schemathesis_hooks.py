"""The rules of our request bodies that JSON Schema cannot state, applied to the
schema-valid bodies schemathesis generates (loaded by the CLI through
SCHEMATHESIS_HOOKS, see tests/api/test_schemathesis_live.py). The schema names
them: descriptions, and the template formats of messaging/schemas.py.

- A template is Jinja that renders with the sample context, for email into an MJML
  document: generated text becomes such a template (no Jinja or markup in it, the
  email body wrapped in MJML). The templates' own rules: tests/messaging/.
- Step keys are unique within a journey: repeated ones are renamed; an expression
  has at most MAX_NODES parts, MAX_DEPTH deep: deeper or larger ones become null.
  The rules themselves: tests/journeys/test_definition.py, test_conditions.py.
- A returns policy with a carrier label names the return address, and one with
  instant exchanges a carrier label: a body that breaks this gets the defaults
  (tests/returns/test_carrier_labels.py, test_instant_exchange.py).

Bodies generated to break the schema are left as they are."""

from __future__ import annotations

import ast
import threading
import unicodedata
from typing import Any

import schemathesis

# Imported here, in the main thread, before schemathesis' two worker threads start: they
# imported it lazily, both at once, and CPython 3.11 failed one ("AST constructor
# recursion depth mismatch": anyio, which it imports, compiles its own source on import).
import schemathesis.transport.asgi
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode

from tests.journeys.generated import within_unstated_rules

TEMPLATES = {("PUT", "/api/v1/templates/{key}/email/{locale}"): "email",
             ("PUT", "/api/v1/templates/{key}/sms/{locale}"): "sms",
             ("POST", "/api/v1/templates/preview"): "preview"}
JOURNEYS = {("POST", "/api/v1/journeys/validate"), ("PUT", "/api/v1/journeys/{key}")}
RETURNS_POLICY = ("PUT", "/api/v1/returns/policy")
SMS_CHARACTERS = 300  # well within 10 segments, whatever the alphabet
MJML = ("<mjml><mj-body><mj-section><mj-column><mj-text>{}</mj-text></mj-column>"
        "</mj-section></mj-body></mjml>")

# CPython 3.11 counts ast.parse's recursion per interpreter, not per thread: two
# workers describing a Hypothesis lambda at once fail with "AST constructor recursion
# depth mismatch". One parse at a time.
_parse, _parsing = ast.parse, threading.Lock()


def _one_parse_at_a_time(*args: Any, **kwargs: Any) -> Any:
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _one_parse_at_a_time


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    operation = (case.operation.method.upper(), case.operation.path)
    if not isinstance(case.body, dict) or not _schema_valid_body(case):
        return case
    if operation in TEMPLATES:
        kind = TEMPLATES[operation]
        channel = str(case.body.get("channel", "email")) if kind == "preview" else kind
        _renderable(case.body, channel)
    elif operation in JOURNEYS:
        within_unstated_rules(case.body)
    elif operation == RETURNS_POLICY:
        _carrier_rules(case.body)
    return case


def _carrier_rules(body: dict[str, Any]) -> None:
    if body.get("label_carrier", "none") != "none" and not body.get("return_address"):
        body["label_carrier"] = "none"
    if body.get("instant_exchange") and body.get("label_carrier", "none") == "none":
        body["instant_exchange"] = False


def _schema_valid_body(case: Any) -> bool:
    meta = case.meta
    if meta is None:
        return True
    body = meta.components.get(ParameterLocation.BODY)
    mode = body.mode if body is not None else meta.generation.mode
    return bool(mode == GenerationMode.POSITIVE)


def _renderable(body: dict[str, Any], channel: str) -> None:
    if channel == "sms" and isinstance(body.get("body"), str):
        body["body"] = _plain(body["body"])[:SMS_CHARACTERS]
    if channel != "email":
        return
    for name in ("subject", "text_body"):
        if isinstance(body.get(name), str):
            body[name] = _plain(body[name])
    if isinstance(body.get("body"), str):
        body["body"] = MJML.format(_plain(_without_markup(body["body"])))


def _plain(text: str) -> str:
    """No Jinja in it (every delimiter starts with a brace), and something to say."""
    text = text.replace("{", "")
    return text if text.strip() else "Hello"


def _without_markup(text: str) -> str:
    return "".join(c for c in text if c not in "<>&" and unicodedata.category(c) != "Cc")
