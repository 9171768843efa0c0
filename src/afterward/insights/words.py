"""What customers' words say, recomputed for a store: every text from every installed
module's reader (Module.texts) scored for sentiment (insights/text.py: the store's
learned model once it has text.SWITCH_OVER rated texts, else the lexicon), and the
store's themes found afresh (insights/themes.py). `recompute` replaces the store's
scores and themes in the caller's transaction, so a page sees the old run or the new
one, never half of each.

Running: the job `insights.words` (one store), enqueued for every store each night
by `insights.words_nightly` (Module.periodic schedules the first), by `afterward
insights words --store S`, or by hand from the admin page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from afterward import jobs, modules
from afterward.commerce.models import Store
from afterward.customer_texts import CustomerText
from afterward.insights import nightly as nightly_pass
from afterward.insights.models import TextRun, TextSentiment, TextTheme
from afterward.storage import bulk, locks
from afterward.storage.types import utcnow

JOB = "insights.words"
NIGHTLY_JOB = "insights.words_nightly"
NIGHTLY_AT = time(2, 30)  # UTC
BATCH = 2000  # texts scored (and rows written) at a time
# Products with their own themes: the PRODUCTS with most texts, each with PRODUCT_TEXTS
# or more (fewer: the store-wide themes that touch the product say enough).
PRODUCTS = 20
PRODUCT_TEXTS = 30

# progress(stage, done, total): "read", "score", "themes"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Outcome:
    run: int
    model: str
    texts: int
    rated: int
    themes: int

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run, "model": self.model, "texts": self.texts,
                "rated": self.rated, "themes": self.themes}


def read_texts(session: Session, store_id: int,
               since: datetime | None = None) -> list[CustomerText]:
    """Every installed module's texts for this store, each module's oldest first."""
    found: list[CustomerText] = []
    for reader in modules.resolved("texts"):
        found.extend(reader(session, store_id=store_id, since=since))
    return found


def recompute(session: Session, store_id: int, *, progress: Progress | None = None,
              texts: Iterable[CustomerText] | None = None,
              now: datetime | None = None) -> Outcome:
    """Score every text of the store and find its themes; replace what was stored."""
    # numpy and the models load here, not when a page that reads the stored themes
    # imports this module: a server process starts ~0.2 s sooner.
    from afterward.insights import text as sentiment
    from afterward.insights import themes as theming

    report = progress or (lambda stage, done, total: None)
    now = now or utcnow()
    locks.hold(session, "insights-words", store_id)
    gathered = [t for t in (read_texts(session, store_id) if texts is None else texts)
                if len(t.text.strip()) >= sentiment.MIN_TEXT_LENGTH]
    report("read", len(gathered), len(gathered))
    rated = sorted((t for t in gathered if t.rating is not None), key=lambda t: t.at)
    scorer = sentiment.scorer_for([t.text for t in rated], [int(t.rating or 0) for t in rated])
    scores: list[float] = []
    for start in range(0, len(gathered), BATCH):
        chunk = gathered[start:start + BATCH]
        scores.extend(float(round(s, 4)) for s in scorer.score([t.text for t in chunk]))
        report("score", len(scores), len(gathered))

    session.execute(delete(TextSentiment).where(TextSentiment.store_id == store_id))
    rows = [{"store_id": store_id, "source": t.source, "ref": t.ref, "score": score,
             "model": scorer.name, "sku": t.sku, "customer_id": t.customer_id,
             "written_at": t.at, "scored_at": now}
            for t, score in zip(gathered, scores, strict=True)]
    for start in range(0, len(rows), BATCH):
        bulk.insert(session, TextSentiment, rows[start:start + BATCH])

    docs = [theming.Doc(t.source, t.ref, t.text, t.at, score, t.sku)
            for t, score in zip(gathered, scores, strict=True)]
    report("themes", 0, 1)
    found = theming.find(docs)
    by_sku: dict[str, list[theming.Doc]] = {}
    for doc in docs:
        if doc.sku:
            by_sku.setdefault(doc.sku, []).append(doc)
    busiest = sorted(by_sku.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:PRODUCTS]
    per_product = {sku: theming.find(texts) for sku, texts in busiest
                   if len(texts) >= PRODUCT_TEXTS}
    report("themes", 1, 1)
    previous = session.scalar(select(func.max(TextTheme.run))
                              .where(TextTheme.store_id == store_id))
    last_run = session.scalar(select(TextRun.run).where(TextRun.store_id == store_id))
    run = max(previous or 0, last_run or 0) + 1
    session.execute(delete(TextTheme).where(TextTheme.store_id == store_id))
    for sku, themes in [(None, found), *per_product.items()]:
        for position, theme in enumerate(themes):
            session.add(TextTheme(store_id=store_id, run=run, sku=sku, position=position,
                                  label=theme.label[:300], phrases=theme.phrases,
                                  sentiment=theme.sentiment, size=theme.size,
                                  months=theme.months, examples=theme.examples,
                                  products=theme.products, created_at=now))
    held = session.get(TextRun, store_id)
    if held is None:
        held = TextRun(store_id=store_id)
        session.add(held)
    held.run, held.model, held.texts = run, scorer.name, len(gathered)
    held.rated, held.themes, held.finished_at = len(rated), len(found), now
    session.flush()
    return Outcome(run, scorer.name, len(gathered), len(rated), len(found))


def enqueue(session: Session, store_id: int, *, day: str | None = None) -> int | None:
    """The recompute job for a store (once per `day`, when given: the nightly pass)."""
    return jobs.enqueue(session, JOB, {"store_id": store_id}, store_id=store_id,
                        max_attempts=3,
                        dedupe_key=f"{JOB}:{store_id}:{day}" if day is not None else None)


def pending(session: Session, store_id: int) -> bool:
    """Is a recompute of this store queued or running?"""
    return session.scalar(select(jobs.Job.id).where(
        jobs.Job.kind == JOB, jobs.Job.store_id == store_id,
        jobs.Job.status.in_((jobs.JobStatus.queued.value, jobs.JobStatus.running.value)))
        .limit(1)) is not None


REQUEST_WINDOW = timedelta(minutes=1)


def request(session: Session, store_id: int, *, now: datetime | None = None) -> bool:
    """A recompute asked for by hand (the admin's button): enqueued unless one is queued
    or running already, or was asked for within REQUEST_WINDOW (a worker may finish a
    small store's run before the other tabs' clicks arrive), so many clicks make one
    job. True when this call enqueued it."""
    now = now or utcnow()
    locks.hold(session, "insights-words-request", store_id)
    if pending(session, store_id) or session.scalar(select(jobs.Job.id).where(
            jobs.Job.kind == JOB, jobs.Job.store_id == store_id,
            jobs.Job.created_at > now - REQUEST_WINDOW).limit(1)) is not None:
        return False
    enqueue(session, store_id)
    return True


@jobs.handler(JOB)
def run_job(session: Session, job: jobs.JobContext) -> None:
    store_id = int(job.payload["store_id"])
    if session.get(Store, store_id) is None:
        return  # the store is gone
    recompute(session, store_id)


def ensure_scheduled(session: Session, *, now: datetime | None = None) -> int | None:
    """The next night's pass (Module.periodic); once per night (dedupe key)."""
    return nightly_pass.schedule(session, NIGHTLY_JOB, NIGHTLY_AT, now=now)


@jobs.handler(NIGHTLY_JOB)
def nightly(session: Session, job: jobs.JobContext) -> None:
    """A recompute job for every store (each its own job, so one store's failure
    retries alone), then the next night's pass."""
    nightly_pass.fan_out(session, job, NIGHTLY_JOB, NIGHTLY_AT,
                         lambda s, store_id, night: enqueue(s, store_id, day=night))


def latest(session: Session, store_id: int, *, sku: str | None = None
           ) -> tuple[TextRun | None, list[TextTheme]]:
    """The store's latest run and its themes, largest first: store-wide, or those of
    one product's own texts (`sku`; none unless the product had PRODUCT_TEXTS)."""
    run = session.get(TextRun, store_id)
    themes = list(session.scalars(select(TextTheme).where(
        TextTheme.store_id == store_id,
        TextTheme.sku.is_(None) if sku is None else TextTheme.sku == sku)
        .order_by(TextTheme.run.desc(), TextTheme.position)))
    if themes:
        themes = [t for t in themes if t.run == themes[0].run]
    return run, themes
