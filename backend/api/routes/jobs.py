"""Process B: a job from scheduling to billing or closing, with advances,
bills and expense claims (B3, B8)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from backend.api.openapi import Download
from backend.api.responses import returns
from backend.api.routes.common import (
    ALL_ROLES,
    CUSTOMER_AND_STAFF,
    JOB_REF,
    STAFF,
    ident,
)
from backend.api.routing import Call, RouteTable
from backend.api.schema import (
    Arr,
    Bool,
    Date,
    DateTime,
    Enum,
    Int,
    Money,
    Num,
    Obj,
    Qty,
    Str,
)
from backend.api.uploads import read_upload
from backend.errors import not_found
from backend.jobs import bill_files, expenses
from backend.jobs import service as jobs
from backend.jobs.models import ArrivalLocation, JobState
from backend.processes import job_outcomes

routes = RouteTable("jobs")
TECH = ("technician",)
CUSTOMER = ("customer",)
REF = JOB_REF


def _job(call: Call) -> str:
    return call.path["job_ref"]


@routes.get("/api/jobs", "Jobs by state, technician or day (a customer or technician sees their own)",
            query={"state": Enum(*JobState, nullable=True), "technician_id": Int(nullable=True),
                   "day": Date(nullable=True)},
            response=returns(jobs.list_jobs), roles=ALL_ROLES)
async def list_jobs(call: Call) -> Any:
    return await call(jobs.list_jobs, **call.query)


@routes.get("/api/technician/jobs", "The technician's active jobs for a day (today by default)",
            query={"day": Date(nullable=True)}, response=returns(jobs.list_technician_jobs), roles=TECH)
async def list_technician_jobs(call: Call) -> Any:
    return await call(jobs.list_technician_jobs, day=call.query["day"])


@routes.get("/api/jobs/{job_ref}", "One job", params=REF, response=returns(jobs.get_job), roles=ALL_ROLES)
async def get_job(call: Call) -> Any:
    return await call(jobs.get_job, job_ref=_job(call))


@routes.post("/api/jobs/{job_ref}/schedule", "B1: appointment slot and technician", params=REF,
             body=Obj(technician_id=Int(), start=DateTime(), end=DateTime()),
             response=returns(jobs.schedule_job), roles=STAFF)
async def schedule_job(call: Call) -> Any:
    return await call(jobs.schedule_job, job_ref=_job(call), **call.body)


@routes.post("/api/jobs/{job_ref}/reschedule", "Move the appointment (the technician confirms again)",
             params=REF, body=Obj(start=DateTime(), end=DateTime()), response=returns(jobs.reschedule_job),
             roles=CUSTOMER_AND_STAFF)
async def reschedule_job(call: Call) -> Any:
    return await call(jobs.reschedule_job, job_ref=_job(call), **call.body)


@routes.post("/api/jobs/{job_ref}/appointment/confirm", "The customer confirms the booked slot suits them "
             "(once per slot)", params=REF, response=returns(jobs.confirm_appointment), roles=CUSTOMER)
async def confirm_appointment(call: Call) -> Any:
    return await call(jobs.confirm_appointment, job_ref=_job(call))


@routes.post("/api/jobs/{job_ref}/confirm", "B2: the assigned technician confirms", params=REF,
             idempotent=True, response=returns(jobs.confirm_job), roles=TECH)
async def confirm_job(call: Call) -> Any:
    return await call(jobs.confirm_job, job_ref=_job(call))


@routes.post("/api/jobs/{job_ref}/advances", "B3: the technician asks for a travel advance", params=REF,
             body=Obj(amount=Money(maximum=expenses.MAX_ADVANCE), purpose=Str(max_len=200)), status=201,
             idempotent=True, response=returns(expenses.request_advance), roles=TECH)
async def request_advance(call: Call) -> Any:
    return await call(expenses.request_advance, job_ref=_job(call), **call.body)


@routes.get("/api/advances", "Advances (a technician sees their own)",
            query={"state": Enum("requested", "sanctioned", "rejected", nullable=True)},
            response=returns(expenses.list_advances), roles=("technician", *STAFF))
async def list_advances(call: Call) -> Any:
    return await call(expenses.list_advances, state=call.query["state"])


@routes.post("/api/advances/{advance_id}/sanction", "B3: sanction an advance; posts the advance voucher",
             params=ident("advance_id", "advance"), response=returns(expenses.sanction_advance), roles=STAFF)
async def sanction_advance(call: Call) -> Any:
    return await call(expenses.sanction_advance, advance_id=call.path["advance_id"])


@routes.post("/api/advances/{advance_id}/reject", "B3: refuse an advance (the job goes back to confirmed)",
             params=ident("advance_id", "advance"), body=Obj(reason=Str(max_len=500)),
             response=returns(expenses.reject_advance), roles=STAFF)
async def reject_advance(call: Call) -> Any:
    return await call(expenses.reject_advance, advance_id=call.path["advance_id"], **call.body)


@routes.post("/api/jobs/{job_ref}/release", "B4: release the job for execution", params=REF,
             response=returns(jobs.release_job), roles=STAFF)
async def release_job(call: Call) -> Any:
    return await call(jobs.release_job, job_ref=_job(call))


@routes.post("/api/jobs/{job_ref}/arrival", "B5: the technician reports arrival, with the phone's position when "
             "allowed", params=REF, idempotent=True, body=Obj(
                 location=Enum(*ArrivalLocation, nullable=True, description="shared (with latitude and longitude), "
                               "or why not: denied, unavailable, unsupported; not_asked when left out"),
                 latitude=Num(minimum=Decimal(-90), maximum=Decimal(90), places=6, exclusive_min=False,
                              nullable=True),
                 longitude=Num(minimum=Decimal(-180), maximum=Decimal(180), places=6, exclusive_min=False,
                               nullable=True),
                 accuracy_m=Num(minimum=Decimal(0), maximum=Decimal(100000), places=1, exclusive_min=False,
                                nullable=True, description="The position's accuracy in metres, as the phone gave it"),
                 reported_at=DateTime(nullable=True, description="The phone's time, when it kept the arrival offline "
                                                                 "(at most 3 days ago)")),
             response=returns(jobs.report_arrival), roles=TECH)
async def report_arrival(call: Call) -> Any:
    return await call(jobs.report_arrival, job_ref=_job(call), **call.body)


@routes.post("/api/jobs/{job_ref}/parts", "B6: parts used (leave stock at once)", params=REF,
             body=Obj(part_sku=Str(max_len=40), qty=Qty(maximum=jobs.MAX_QTY)), idempotent=True,
             response=returns(jobs.add_parts_used), roles=TECH)
async def add_parts_used(call: Call) -> Any:
    return await call(jobs.add_parts_used, job_ref=_job(call), **call.body)


@routes.post("/api/jobs/{job_ref}/resolve", "B6: service done; what the cover excludes becomes the estimate",
             params=REF, body=Obj(service_notes=Str(max_len=4000),
                                  partly_done=Bool(default=False, description="A contract visit left partly done "
                                                                              "carries over to a new visit"),
                                  completed_at=DateTime(nullable=True, description="The phone's time, when it kept "
                                                        "the completion offline (at most 3 days ago)")),
             idempotent=True, errors=(), response=returns(job_outcomes.resolve_job), roles=TECH)
async def resolve_job(call: Call) -> Any:
    return await call(job_outcomes.resolve_job, job_ref=_job(call), **call.body)


@routes.post("/api/jobs/{job_ref}/estimate/accept", "B7: the customer accepts the extra-charge estimate",
             params=REF, response=returns(jobs.accept_estimate), roles=CUSTOMER_AND_STAFF)
async def accept_estimate(call: Call) -> Any:
    return await call(jobs.accept_estimate, job_ref=_job(call))


@routes.post("/api/jobs/{job_ref}/estimate/reject", "B7: the customer rejects the extra-charge estimate",
             params=REF, response=returns(jobs.reject_estimate), roles=CUSTOMER_AND_STAFF)
async def reject_estimate(call: Call) -> Any:
    return await call(jobs.reject_estimate, job_ref=_job(call))


@routes.post("/api/jobs/{job_ref}/feedback", "B7: the customer's rating (1-5) and comment", params=REF,
             body=Obj(rating=Int(minimum=1, maximum=5), comment=Str(max_len=2000, nullable=True)),
             response=returns(jobs.give_feedback), roles=("customer",))
async def give_feedback(call: Call) -> Any:
    return await call(jobs.give_feedback, job_ref=_job(call), **call.body)


@routes.post("/api/attachments", "B8: upload a bill (JPEG, PNG or PDF) for an expense claim", upload=True,
             status=201, errors=(415,), idempotent=True, response=returns(expenses.store_attachment),
             roles=("technician", *STAFF))
async def store_attachment(call: Call) -> Any:
    limit = call.settings.upload_max_bytes
    upload = await read_upload(call.request, field="file", max_bytes=limit)
    return await call(expenses.store_attachment, upload_dir=call.settings.upload_dir, filename=upload.filename,
                      content_type=upload.content_type, data=upload.data, max_bytes=limit,
                      allowed_types=call.settings.upload_types)


CLAIM_LINE = Obj(category=Enum(*expenses.CATEGORIES), description=Str(max_len=200),
                 amount=Money(maximum=expenses.MAX_LINE), attachment_id=Int(nullable=True))


@routes.post("/api/jobs/{job_ref}/expense-claims", "B8: the technician claims expenses with bills", params=REF,
             body=Obj(lines=Arr(CLAIM_LINE, max_items=expenses.MAX_LINES)), status=201, idempotent=True,
             response=returns(expenses.submit_expense_claim), roles=TECH)
async def submit_expense_claim(call: Call) -> Any:
    return await call(expenses.submit_expense_claim, job_ref=_job(call), **call.body)


@routes.get("/api/expense-claims", "Expense claims (a technician sees their own)",
            query={"state": Enum("submitted", "passed", "part_passed", "rejected", nullable=True)},
            response=returns(expenses.list_expense_claims), roles=("technician", *STAFF))
async def list_expense_claims(call: Call) -> Any:
    return await call(expenses.list_expense_claims, state=call.query["state"])


@routes.get("/api/expense-claims/{claim_ref}", "One expense claim with its lines",
            params={"claim_ref": Str(max_len=16, pattern=r"^EC-?[0-9]{1,9}$")},
            response=returns(expenses.get_expense_claim), roles=("technician", *STAFF))
async def get_expense_claim(call: Call) -> Any:
    return await call(expenses.get_expense_claim, claim_ref=call.path["claim_ref"])


@routes.post("/api/expense-lines/{line_id}/decision", "B8: the manager passes or rejects one bill",
             params=ident("line_id", "expense line"),
             body=Obj(passed=Bool(), reason=Str(max_len=200, nullable=True)),
             response=returns(expenses.decide_expense_line), roles=("manager",))
async def decide_expense_line(call: Call) -> Any:
    return await call(expenses.decide_expense_line, line_id=call.path["line_id"], **call.body)


@routes.get("/api/expense-lines/{line_id}/bill", "B8: the bill's file, for the manager (or admin) and the "
            "technician who claimed it; pictures and PDFs inline, anything else as a download",
            params=ident("line_id", "expense line"),
            response=Download((*bill_files.INLINE_TYPES, bill_files.DOWNLOAD_TYPE)),
            roles=("manager", "admin", "technician"))
async def expense_bill(call: Call) -> Any:
    found = await call(bill_files.expense_bill_file, line_id=call.path["line_id"], upload_dir=call.settings.upload_dir)
    if not found.path.is_file():
        raise not_found("file of the bill", found.filename)
    return web.FileResponse(found.path, headers=bill_files.bill_headers(found))


@routes.post("/api/technicians/{technician_id}/settlements",
             "Square a technician's account: reimburse what they are owed or recover an unspent advance",
             params=ident("technician_id", "technician (user)"),
             body=Obj(amount=Money(maximum=expenses.MAX_ADVANCE), direction=Enum("reimburse", "recover")),
             status=201, idempotent=True, response=returns(expenses.pay_technician), roles=("agent", "manager"))
async def pay_technician(call: Call) -> Any:
    return await call(expenses.pay_technician, technician_id=call.path["technician_id"], **call.body)


@routes.post("/api/jobs/{job_ref}/estimate/override",
             "B7: staff record why the job may be billed without the customer's answer to the estimate",
             params=REF, body=Obj(reason=Str(max_len=500)), response=returns(jobs.override_estimate_answer),
             roles=("agent", "manager"))
async def override_estimate_answer(call: Call) -> Any:
    return await call(jobs.override_estimate_answer, job_ref=_job(call), **call.body)


@routes.post("/api/jobs/{job_ref}/bill", "B9-B10: invoice what the cover excludes, or close when nothing is",
             params=REF, response=returns(jobs.bill_job), roles=STAFF)
async def bill_job(call: Call) -> Any:
    return await call(jobs.bill_job, job_ref=_job(call))


@routes.post("/api/jobs/{job_ref}/close", "B9: close without a bill (covered or waived); the note says why",
             params=REF, body=Obj(note=Str(max_len=500)), response=returns(jobs.close_job), roles=STAFF)
async def close_job(call: Call) -> Any:
    return await call(jobs.close_job, job_ref=_job(call), **call.body)


@routes.post("/api/jobs/{job_ref}/cancel", "Cancel a job before work starts", params=REF,
             body=Obj(reason=Str(max_len=500)), response=returns(job_outcomes.cancel_job), roles=CUSTOMER_AND_STAFF)
async def cancel_job(call: Call) -> Any:
    return await call(job_outcomes.cancel_job, job_ref=_job(call), **call.body)
