from afterward.events import record
from afterward.jobs import handler


@handler("hello.count")
def count(session, job) -> None:
    record(session, store_id=job.store_id, name="hello.counted", subject_type="store",
           subject_id=job.store_id, payload={})
