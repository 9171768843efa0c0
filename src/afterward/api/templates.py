"""Message templates: save (each change a new version), read the versions, preview.
Email and SMS templates are separate operations: their bodies differ (an email needs
a subject and an MJML body), and /openapi.json says so for each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, principal, read_session, settings, writer
from afterward.api.errors import ApiError
from afterward.api.params import each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, WITH_BODY, updated
from afterward.commerce.fields import LocaleTag
from afterward.commerce.models import Store
from afterward.config import Settings
from afterward.messaging import templates
from afterward.messaging.context import sample_context
from afterward.messaging.schemas import (
    EmailTemplateIn,
    PreviewIn,
    PreviewOut,
    SmsTemplateIn,
    TemplateOut,
)

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["messaging"],
                   dependencies=[Depends(each_once)])

Key = Annotated[str, Path(pattern=templates.KEY.pattern)]
Locale = Annotated[LocaleTag, Path()]
SAME_SOURCE = updated(TemplateOut, "The same source as the latest version: nothing saved.")
SAVE_ANSWERS = {**SAME_SOURCE, **CONFLICT, **WITH_BODY}


def _store(session: Session, who: Principal) -> Store:
    store = session.get(Store, who.store_id)
    if store is None:
        raise ApiError(404, "not_found", "no such store")
    return store


def _save(*, who: Principal, config: Settings, write: Write, response: Response, key: str,
          channel: str, locale: str, source: templates.TemplateSource,
          sample_data: dict[str, object]) -> TemplateOut:
    def work(session: Session) -> tuple[TemplateOut, bool]:
        sample = sample_context(_store(session, who), locale=locale,
                                public_url=config.public_url, data=sample_data)
        row, added = templates.save_version(
            session, store_id=who.store_id, key=key, channel=channel, locale=locale,
            source=source, sample=sample)
        return TemplateOut.model_validate(row), added

    out, added = write(work)
    response.status_code = 201 if added else 200
    return out


@router.put("/templates/{key}/email/{locale}", response_model=TemplateOut, status_code=201,
            responses=SAVE_ANSWERS)
def save_email_template(key: Key, locale: Locale, body: EmailTemplateIn, response: Response,
                        who: Principal = Depends(principal),
                        config: Settings = Depends(settings),
                        write: Write = Depends(writer)) -> TemplateOut:
    """Checked against the sample context; a template that does not render is refused
    (422) with the part and line that failed. Each change is a new version (201); the
    same source as the latest version saves nothing (200)."""
    return _save(who=who, config=config, write=write, response=response, key=key,
                 channel="email", locale=locale, sample_data=body.sample_data,
                 source=templates.TemplateSource(body.subject, body.body, body.text_body))


@router.put("/templates/{key}/sms/{locale}", response_model=TemplateOut, status_code=201,
            responses=SAVE_ANSWERS)
def save_sms_template(key: Key, locale: Locale, body: SmsTemplateIn, response: Response,
                      who: Principal = Depends(principal),
                      config: Settings = Depends(settings),
                      write: Write = Depends(writer)) -> TemplateOut:
    """As the email template; the rendered text must fit the SMS segment limit."""
    return _save(who=who, config=config, write=write, response=response, key=key,
                 channel="sms", locale=locale, sample_data=body.sample_data,
                 source=templates.TemplateSource(None, body.body, None))


def _versions(session: Session, who: Principal, key: str, channel: str,
              locale: str) -> dict[str, list[TemplateOut]]:
    rows = templates.versions(session, store_id=who.store_id, key=key, channel=channel,
                              locale=locale)
    return {"items": [TemplateOut.model_validate(r) for r in rows]}


@router.get("/templates/{key}/email/{locale}", response_model=dict[str, list[TemplateOut]],
            responses=INVALID)
def email_template_versions(key: Key, locale: Locale, who: Principal = Depends(principal),
                            session: Session = Depends(read_session),
                            ) -> dict[str, list[TemplateOut]]:
    return _versions(session, who, key, "email", locale)


@router.get("/templates/{key}/sms/{locale}", response_model=dict[str, list[TemplateOut]],
            responses=INVALID)
def sms_template_versions(key: Key, locale: Locale, who: Principal = Depends(principal),
                          session: Session = Depends(read_session),
                          ) -> dict[str, list[TemplateOut]]:
    return _versions(session, who, key, "sms", locale)


@router.post("/templates/preview", response_model=PreviewOut, responses=WITH_BODY)
def preview(body: PreviewIn, who: Principal = Depends(principal),
            config: Settings = Depends(settings),
            session: Session = Depends(read_session)) -> PreviewOut:
    sample = sample_context(_store(session, who), locale=body.locale,
                            public_url=config.public_url, data=body.sample_data)
    subject, text_body = (body.subject, body.text_body) if body.channel == "email" else (
        None, None)
    rendered = templates.validate(body.channel, templates.TemplateSource(
        subject, body.body, text_body), sample)
    return PreviewOut(subject=rendered.subject, text=rendered.text, html=rendered.html,
                      segments=rendered.segments)
