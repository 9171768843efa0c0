"""The carrier label of an approved return, bought by a job (`returns.carrier_label`)
so that a carrier that times out or answers 5xx never loses the return: the job is
retried with backoff (jobs.py) and the return says `label_status: pending` until
the label is bought. The job runs outside the worker's transaction (a batch handler
with its own transactions, as messaging's sends): the return is read in a short
transaction, the carrier is asked with none open (on SQLite not even the process's
write lock is held, so the API keeps writing while the carrier thinks), and the label
is written in another short transaction, only while the return still waits for it
(under its row lock), so a job run twice writes it once. The carrier's shipment id is
kept as soon as the carrier has one, so a retry after a lost answer buys that
shipment's label instead of a second one. A refusal that a retry cannot mend (a 4xx,
no address) marks the label `failed`, with why."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import update
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce import service as commerce
from afterward.jobs import JobContext, PermanentError
from afterward.returns import carriers, facts, inbound
from afterward.returns import policy as rules
from afterward.returns.models import Return
from afterward.storage.db import side_transaction
from afterward.storage.types import utcnow

LABEL_JOB = "returns.carrier_label"
MAX_ATTEMPTS = 10


def wants_carrier_label(session: Session, rma: Return,
                        policy: rules.Policy | None = None) -> str | None:
    """The carrier the store buys labels from, when this return gets one (`policy`:
    the store's, when the caller has it already)."""
    if rma.resolution == "keep":
        return None
    carrier = (policy or facts.load_policy(session, store_id=rma.store_id)).label_carrier
    return None if carrier == "none" else carrier


def ask_for_label(session: Session, *, rma: Return, carrier: str) -> None:
    """On approval, in the caller's transaction: the label is pending and its job queued."""
    rma.label_carrier, rma.label_status, rma.label_error = carrier, "pending", None
    session.flush()
    jobs.enqueue(session, LABEL_JOB, {"return_id": rma.id}, store_id=rma.store_id,
                 dedupe_key=f"returns.label:{rma.id}", max_attempts=MAX_ATTEMPTS)


@jobs.handler(LABEL_JOB)
def run_label_job(session: Session, ctx: JobContext) -> None:
    outcome = buy_label(session, store_id=ctx.store_id or 0,
                        return_id=int(ctx.payload["return_id"]))
    if isinstance(outcome, carriers.CarrierError):
        raise _job_error(outcome)


@jobs.batch_handler(LABEL_JOB, size=1, own_transactions=True)
def run_label_jobs(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
    failed: dict[int, Exception] = {}
    for ctx in batch:
        outcome = buy_label(session, store_id=ctx.store_id or 0,
                            return_id=int(ctx.payload["return_id"]))
        if isinstance(outcome, carriers.CarrierError):
            failed[ctx.job_id] = _job_error(outcome)
    return failed


def _job_error(error: carriers.CarrierError) -> Exception:
    return error if error.retry else PermanentError(str(error))


def _turn(session: Session) -> AbstractContextManager[object]:
    """The process's write lock when the worker runs us outside its transaction
    (SQLite; jobs.WRITE_LOCK): held around each short transaction, never while the
    carrier is being asked."""
    lock = session.info.get(jobs.WRITE_LOCK)
    return lock if lock is not None else nullcontext()


def buy_label(session: Session, *, store_id: int,
              return_id: int) -> str | carriers.CarrierError:
    """`session` is the worker's, unused: every read and write is a short transaction
    of its own. Returns what happened (issued, skipped) or the carrier's error
    (recorded on the return)."""
    with _turn(session), side_transaction(session) as own:
        request = _request(own, session, store_id, return_id)
    if isinstance(request, str):
        return request
    if isinstance(request, carriers.CarrierError):
        _failed(session, store_id, return_id, request)
        return request
    adapter, label_request = request
    try:
        label = adapter.create_return_label(label_request)
    except carriers.CarrierError as exc:
        _failed(session, store_id, return_id, exc)
        return exc
    with _turn(session), side_transaction(session) as own:
        rma = own.get(Return, return_id, with_for_update=True)
        if rma is None or rma.store_id != store_id or rma.label_status != "pending" \
                or rma.status != "approved":  # received or rejected meanwhile
            return "skipped"
        inbound.label_issued(own, rma=rma, label=label, now=utcnow())
    return "issued"


def _request(own: Session, worker: Session, store_id: int, return_id: int
             ) -> str | carriers.CarrierError | tuple[carriers.LabelAdapter,
                                                      carriers.LabelRequest]:
    rma = own.get(Return, return_id)
    if rma is None or rma.store_id != store_id or rma.status != "approved" \
            or rma.label_status not in ("pending", "failed"):
        return "skipped"
    if rma.label_status == "failed":  # its dead job retried by hand (the address fixed)
        rma.label_status = "pending"
        own.flush()
    adapter = carriers.adapter(rma.label_carrier or "")
    if adapter is None:
        return carriers.CarrierError(f"no carrier adapter {rma.label_carrier!r}", retry=False)
    policy = facts.load_policy(own, store_id=store_id)
    order = commerce.get_order(own, store_id=store_id, order_id=rma.order_id)
    if policy.return_address is None:
        return carriers.CarrierError("the policy has no return_address", retry=False)
    if order is None or not (order.ship_address1 and order.ship_city
                             and order.ship_postal_code and order.ship_country):
        return carriers.CarrierError("the order has no shipping address", retry=False)
    warehouse = policy.return_address
    shopper = carriers.Address(
        name=order.ship_name or "Customer", street1=order.ship_address1, city=order.ship_city,
        zip=order.ship_postal_code, country=order.ship_country, state=order.ship_region,
        phone=order.phone, email=order.email)
    size = policy.parcel
    return adapter, carriers.LabelRequest(
        store_id=store_id, return_number=rma.number, from_address=shopper,
        to_address=carriers.Address(**warehouse.model_dump()),
        parcel=carriers.Parcel(size.length, size.width, size.height, size.weight),
        shipment_id=rma.carrier_shipment_id,
        on_created=lambda shipment_id: _keep_shipment_id(worker, return_id, shipment_id))


def _keep_shipment_id(worker: Session, return_id: int, shipment_id: str) -> None:
    with _turn(worker), side_transaction(worker) as keep:
        keep.execute(update(Return).where(Return.id == return_id)
                     .values(carrier_shipment_id=shipment_id[:100]))


def _failed(session: Session, store_id: int, return_id: int,
            error: carriers.CarrierError) -> None:
    """Say why on the return, durably (the job's own transaction is rolled back when
    it raises); a final refusal marks the label failed."""
    values: dict[str, object] = {"label_error": str(error)[:500]}
    if not error.retry:
        values["label_status"] = "failed"
    with _turn(session), side_transaction(session) as own:
        own.execute(update(Return).where(Return.id == return_id, Return.store_id == store_id,
                                         Return.label_status == "pending").values(**values))
