from fastapi import APIRouter, Depends

from afterward.api.deps import Principal, Write, principal, writer
from afterward.events import record
from afterward.jobs import enqueue

router = APIRouter(prefix="/api/v1/hello", tags=["hello"])
admin = APIRouter(prefix="/admin/hello", include_in_schema=False)


@router.post("")
def greet(who: Principal = Depends(principal), write: Write = Depends(writer)) -> dict[str, int]:
    def work(session) -> dict[str, int]:
        record(session, store_id=who.store_id, name="hello.greeted", subject_type="store",
               subject_id=who.store_id, payload={})
        return {"job_id": enqueue(session, "hello.count", {}, store_id=who.store_id)}

    return write(work)


@admin.get("")
def page() -> dict[str, str]:
    return {"hello": "admin"}
