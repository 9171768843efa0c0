"""Message templates: Jinja2 in a sandbox, strict about undefined variables,
autoescaped for HTML. A store's templates are versioned rows; a template that does
not render against the sample context is refused at save time with its line; the
built-in defaults fill in where a store has none."""

from __future__ import annotations

import math
import re
import traceback
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time
from babel.numbers import format_currency, format_percent
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce import validation
from afterward.commerce.validation import InvalidValue
from afterward.messaging import email_html, jinja_render, template_registry
from afterward.messaging.html import MjmlError, html_to_text
from afterward.messaging.models import MessageTemplate
from afterward.messaging.segments import count_segments
from afterward.storage import locks

TEMPLATE_CHANNELS = ("email", "sms")
MAX_SMS_SEGMENTS = 10
KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class TemplateSource:
    subject: str | None
    body: str  # MJML (email) or text (SMS)
    text_body: str | None = None


@dataclass(frozen=True)
class Resolved:
    source: TemplateSource
    locale: str
    template_id: int | None  # None for a built-in


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None
    segments: int | None = None


class TemplateInvalid(InvalidValue):
    """Refused at save time: which part, which line, what is wrong."""

    def __init__(self, part: str, line: int | None, message: str) -> None:
        where = f"{part}, line {line}" if line else part
        super().__init__(part, f"{where}: {message}")
        self.part, self.line = part, line


@pass_context
def _money(context: Context, minor: int | None, currency: str | None = None) -> str:
    if minor is None:
        return ""
    code = currency or context.get("store", {}).get("currency") or "USD"
    return _format_money(int(minor), code, context.get("locale") or "en")


@lru_cache(maxsize=8192)
def _format_money(minor: int, code: str, locale: str) -> str:
    # Babel takes tens of microseconds per amount; shops repeat the same prices.
    return str(format_currency(validation.from_minor(minor, code), code, locale=locale))


@pass_context
def _date(context: Context, value: datetime | date | None, style: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(context.get("timezone") or "UTC")).date()
    return _format_date(value, style, context.get("locale") or "en")


@lru_cache(maxsize=4096)
def _format_date(value: date, style: str, locale: str) -> str:
    # Babel looks the locale's patterns up each time; a send burst repeats a few days.
    return str(format_date(value, format=style, locale=locale))


@pass_context
def _days(context: Context, first: date | None, last: date | None = None) -> str:
    """A window of days, e.g. 'Wed, Jan 6 - Tue, Jan 12' in English: the tracking page's words
    for the same window (web/pages/language.py, Speaker.days)."""
    if first is None:
        return ""
    return _format_days(first, last or first, context.get("locale") or "en")


@lru_cache(maxsize=4096)
def _format_days(first: date, last: date, locale: str) -> str:
    if first == last:
        pattern = Locale.parse(locale).datetime_skeletons.get("MMMEd", "medium")
        return str(format_date(first, str(pattern), locale=locale))
    return str(format_interval(first, last, skeleton="MMMEd", locale=locale))


@pass_context
def _datetime(context: Context, value: datetime | None, style: str = "medium") -> str:
    """A moment in the reader's zone; "medium" is a medium date with a short time, as
    the pages show it (seconds only clutter a message): 'Dec 14, 2026, 6:00 PM'."""
    if value is None:
        return ""
    zone = ZoneInfo(context.get("timezone") or "UTC")
    locale = Locale.parse((context.get("locale") or "en").replace("-", "_"))
    local = value.astimezone(zone)
    if style != "medium":
        return str(format_datetime(local, format=style, tzinfo=zone, locale=locale))
    joined = str(locale.datetime_formats.get("medium", "{1}, {0}"))
    return joined.replace("{1}", format_date(local, "medium", locale=locale)).replace(
        "{0}", format_time(local, "short", tzinfo=zone, locale=locale))


@pass_context
def _percent(context: Context, value: int | float | None) -> str:
    """10 -> '10%' in English, '10 %' in German: a percentage in the reader's way."""
    if value is None:
        return ""
    return str(format_percent(value / 100, locale=context.get("locale") or "en"))


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Sandbox(SandboxedEnvironment):
    # A template may not compute 9**9**9: the sandbox guards attributes, not CPU time.
    intercepted_binops = frozenset({"**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`order.number` on a context dict: its key at once. Jinja would first try the
        attribute and look the key up after the AttributeError, which is what happens
        for any name a dict does have as an attribute (`data.items`), as before."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if (operator == "**" and isinstance(left, int) and isinstance(right, int)
                and abs(left) > 1 and right * math.log2(abs(left)) > 4096):
            raise ValueError("exponent too large")
        return super().call_binop(context, operator, left, right)


def _environment(*, html: bool) -> SandboxedEnvironment:
    env = _Sandbox(autoescape=html, undefined=StrictUndefined, trim_blocks=not html,
                   lstrip_blocks=not html, keep_trailing_newline=False)
    env.filters.update(money=_money, date=_date, datetime=_datetime, days=_days,
                       percent=_percent)
    # `{% if url is http_url %}`: a link from outside data only when it is http(s);
    # autoescaping keeps a value inside its attribute, not javascript: out of an href.
    env.tests["http_url"] = validation.is_http_url
    return env


@cache
def environments() -> tuple[SandboxedEnvironment, SandboxedEnvironment]:
    return _environment(html=True), _environment(html=False)


def _parts(channel: str, source: TemplateSource) -> list[tuple[str, str, bool]]:
    """(name, text, is_html) of each part a channel's template has."""
    if channel == "sms":
        return [("body", source.body, False)]
    parts = [("subject", source.subject or "", False), ("body", source.body, True)]
    if source.text_body:
        parts.append(("text_body", source.text_body, False))
    return parts


@lru_cache(maxsize=1024)
def _compiled(text: str, html: bool) -> Template:
    return environments()[0 if html else 1].from_string(text)


@lru_cache(maxsize=1024)
def _compiled_email(text: str) -> Template:
    """An email body's template: its MJML turned into HTML once (email_html.py)."""
    return environments()[0].from_string(email_html.compile_email(text))


def _email_html(text: str, context: dict[str, Any]) -> str:
    try:
        return jinja_render.render(_compiled_email(text), context)
    except (MjmlError, email_html.TagsNotKept) as exc:
        raise TemplateInvalid("body", None, str(exc)) from exc
    except Exception as exc:
        # Say what is wrong, and on which line, in the template as it was written.
        _render_part("body", text, True, context)
        raise TemplateInvalid("body", None, f"{type(exc).__name__}: {exc}") from exc


def _render_part(name: str, text: str, html: bool, context: dict[str, Any]) -> str:
    try:
        return jinja_render.render(_compiled(text, html), context)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(name, exc.lineno, exc.message or str(exc)) from exc
    except TemplateError as exc:
        raise TemplateInvalid(name, _template_line(exc), str(exc)) from exc
    except Exception as exc:  # a filter or a value may fail any way; the message fails alone
        raise TemplateInvalid(name, _template_line(exc), f"{type(exc).__name__}: {exc}") from exc


@lru_cache(maxsize=256)
def names_used(channel: str, source: TemplateSource) -> frozenset[str] | None:
    """The context names a template reads (None when it does not parse: render says why)."""
    names: set[str] = set()
    try:
        for _, text, html in _parts(channel, source):
            names |= meta.find_undeclared_variables(environments()[0 if html else 1].parse(text))
    except TemplateSyntaxError:
        return None
    return frozenset(names)


def _template_line(exc: BaseException) -> int | None:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
             if f.filename == "<template>"]
    return lines[-1] if lines else None


def render(channel: str, source: TemplateSource, context: dict[str, Any]) -> Rendered:
    """Render every part; raises TemplateInvalid (with part and line) on failure."""
    if channel == "sms":
        text = _render_part("body", source.body, False, context).strip()
        if not text:
            raise TemplateInvalid("body", None, "the SMS renders empty")
        return Rendered(None, text, None, count_segments(text).segments)
    out = {"subject": _render_part("subject", source.subject or "", False, context)}
    html = _email_html(source.body, context)
    if source.text_body:
        out["text_body"] = _render_part("text_body", source.text_body, False, context)
    subject = " ".join(out["subject"].split())
    if not subject:
        raise TemplateInvalid("subject", None, "the subject renders empty")
    text = out.get("text_body") or html_to_text(html)
    return Rendered(subject, text.strip() + "\n", html)


def validate(channel: str, source: TemplateSource, sample: dict[str, Any]) -> Rendered:
    if channel not in TEMPLATE_CHANNELS:
        raise InvalidValue("channel", f"templates exist for {', '.join(TEMPLATE_CHANNELS)}")
    if channel == "email" and not (source.subject or "").strip():
        raise TemplateInvalid("subject", None, "an email template needs a subject")
    rendered = render(channel, source, sample)
    if rendered.segments and rendered.segments > MAX_SMS_SEGMENTS:
        raise TemplateInvalid("body", None, f"the SMS needs {rendered.segments} segments; "
                              f"at most {MAX_SMS_SEGMENTS}")
    return rendered


def save_template(session: Session, *, store_id: int, key: str, channel: str, locale: str,
                  source: TemplateSource, sample: dict[str, Any]) -> MessageTemplate:
    """save_version without saying whether a version was added."""
    return save_version(session, store_id=store_id, key=key, channel=channel, locale=locale,
                        source=source, sample=sample)[0]


def save_version(session: Session, *, store_id: int, key: str, channel: str, locale: str,
                 source: TemplateSource, sample: dict[str, Any]
                 ) -> tuple[MessageTemplate, bool]:
    """Validate against `sample` (see context.sample_context), then store a new version,
    unless the latest version is the same source (a repeated save stores nothing).
    Concurrent saves of one template take turns, each numbering after the last."""
    locale = validation.locale_tag(locale)
    if not KEY.fullmatch(key or ""):
        raise InvalidValue("key", "a template key is letters, digits, _ and -")
    validate(channel, source, sample)
    locks.hold(session, "template", store_id, key, channel, locale)  # saves take turns
    latest = session.scalar(select(MessageTemplate).where(
        MessageTemplate.store_id == store_id, MessageTemplate.key == key,
        MessageTemplate.channel == channel, MessageTemplate.locale == locale,
    ).order_by(MessageTemplate.version.desc()).limit(1))
    if latest is not None and _source_of(latest) == _normalized(source):
        return latest, False
    row = MessageTemplate(store_id=store_id, key=key, channel=channel, locale=locale,
                          version=(latest.version if latest else 0) + 1,
                          subject=source.subject, body=source.body,
                          text_body=source.text_body or None)
    session.add(row)
    session.flush()
    return row, True


def _source_of(row: MessageTemplate) -> TemplateSource:
    return TemplateSource(row.subject, row.body, row.text_body or None)


def _normalized(source: TemplateSource) -> TemplateSource:
    return TemplateSource(source.subject, source.body, source.text_body or None)


def versions(session: Session, *, store_id: int, key: str, channel: str,
             locale: str) -> list[MessageTemplate]:
    return list(session.scalars(select(MessageTemplate).where(
        MessageTemplate.store_id == store_id, MessageTemplate.key == key,
        MessageTemplate.channel == channel, MessageTemplate.locale == locale,
    ).order_by(MessageTemplate.version.desc())))


def locale_candidates(*preferred: str | None) -> list[str]:
    """pt_BR -> [pt_BR, pt, ..., en]: exact first, then the language, then English."""
    out: list[str] = []
    for tag in (*preferred, "en"):
        if not tag:
            continue
        for candidate in (tag, tag.split("_")[0]):
            if candidate not in out:
                out.append(candidate)
    return out


def resolve(session: Session, *, store_id: int, key: str, channel: str,
            locales: list[str]) -> Resolved | None:
    """The customer's language wins over the store's own edits in another language:
    for each locale, the store's live version, else the built-in."""
    for locale in locales:
        row = session.scalar(select(MessageTemplate).where(
            MessageTemplate.store_id == store_id, MessageTemplate.key == key,
            MessageTemplate.channel == channel, MessageTemplate.locale == locale,
        ).order_by(MessageTemplate.version.desc()).limit(1))
        if row is not None:
            return Resolved(TemplateSource(row.subject, row.body, row.text_body), locale, row.id)
        builtin = template_registry.source(key, channel, locale)
        if builtin is not None:
            subject, body, text_body = builtin
            return Resolved(TemplateSource(subject, body, text_body), locale, None)
    return None
