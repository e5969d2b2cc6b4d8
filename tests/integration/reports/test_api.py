"""The report endpoints through the real HTTP API: JSON and CSV agree, the
CSV has a header row and ``text/csv``, refusals have their status and code,
and every report is in the OpenAPI document."""

from __future__ import annotations

import asyncio
import csv
import io

from aiohttp import ClientSession, web

from backend.api import create_app
from backend.api.keys import OPENAPI
from backend.db import UnitOfWork, make_session_factory
from backend.reports.registry import REPORTS
from backend.settings import Settings

from .fixture import PASSWORD, build

RANGE = "start=2025-03-01&end=2025-03-31"


def served(engine, tmp_path, script):
    """Serve the app on a free port, log in as each of ``whos``, run ``script(get)``."""
    uow = UnitOfWork(make_session_factory(engine))
    world = build(uow)
    app = create_app(Settings(var_dir=tmp_path, database_url=str(engine.url), secret_key="t"), uow)

    async def main():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = "http://%s:%s" % runner.addresses[0][:2]
        try:
            async with ClientSession() as http:
                tokens = {}
                for who in ("manager", "agent", "t1", "asha"):
                    async with http.post(f"{base}/api/login",
                                         json={"email": world.emails[who], "password": PASSWORD}) as r:
                        tokens[who] = (await r.json())["token"]

                async def get(path, who="manager"):
                    async with http.get(base + path, headers={"Authorization": f"Bearer {tokens[who]}"}) as r:
                        return r.status, r.headers.get("Content-Type", ""), await r.text(), dict(r.headers)

                return await script(get, world)
        finally:
            await runner.cleanup()

    return asyncio.run(main())


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_and_json_say_the_same(engine, tmp_path):
    async def script(get, world):
        status, ctype, body, headers = await get(f"/api/reports/sales-register?{RANGE}&format=csv")
        assert status == 200 and ctype.startswith("text/csv"), body
        assert 'filename="sales-register.csv"' in headers["Content-Disposition"]
        lines = rows_of(body)
        assert body.splitlines()[0].startswith("number,issued_on,due_on,customer_id,customer,source_type")
        assert [l["total"] for l in lines] == ["1416.00", "1770.00", "1062.00", "236.00", "590.00"]
        status, ctype, body, _ = await get(f"/api/reports/sales-register?{RANGE}")
        assert status == 200 and ctype.startswith("application/json")
        import json

        doc = json.loads(body)
        assert doc["total"] == "5074.00" and [l["total"] for l in doc["lines"]] == [l["total"] for l in lines]

        status, _, body, _ = await get(f"/api/reports/pnl?{RANGE}&by=technician&format=csv")
        pnl = rows_of(body)
        assert [(r["name"], r["profit"]) for r in pnl] == [("T2", "170.00"), ("T1", "790.00"), ("all", "960.00")]

        status, _, body, _ = await get(f"/api/reports/kanban?{RANGE}&format=csv", who="agent")
        assert status == 200 and {r["state"] for r in rows_of(body)} == {"new", "scheduled", "billed", "settled",
                                                                         "cancelled"}
        status, _, body, _ = await get(f"/api/reports/dashboard?{RANGE}&format=csv", who="agent")
        assert ("sla", "past_slot", "1") in {(r["section"], r["name"], r["value"]) for r in rows_of(body)}

        status, ctype, body, _ = await get("/api/reports/repair-calendar?start=2025-02-01&end=2025-02-28&format=csv",
                                           who="agent")
        assert status == 200 and body.strip() == "day,event,number,state,customer_id,customer,technician_id," \
                                                 "technician,item"  # no rows: the header alone
        status, _, body, _ = await get(f"/api/reports/journey?request={world.requests['J1']}&format=csv", who="asha")
        assert status == 200 and len(rows_of(body)) == 13
        return True

    assert served(engine, tmp_path, script)


def test_refusals_through_http(engine, tmp_path):
    async def script(get, world):
        import json

        def code(body):
            return json.loads(body)["error"]

        status, _, body, _ = await get("/api/reports/pnl?start=2025-03-31&end=2025-03-01")
        assert status == 422 and code(body)["code"] == "invalid_input" and code(body)["details"]["field"] == "start"
        status, _, body, _ = await get(f"/api/reports/pnl?{RANGE}&colour=red")
        assert status == 422 and code(body)["details"]["field"] == "colour"
        status, _, body, _ = await get(f"/api/reports/pnl?{RANGE}&by=colour")
        assert status == 422 and code(body)["details"]["field"] == "by"
        status, _, body, _ = await get(f"/api/reports/pnl?{RANGE}&format=xml")
        assert status == 422 and code(body)["details"]["field"] == "format"
        status, _, body, _ = await get(f"/api/reports/pnl?{RANGE}", who="t1")
        assert status == 403 and code(body)["code"] == "forbidden"
        status, _, body, _ = await get(f"/api/reports/scoreboard?{RANGE}", who="agent")
        assert status == 403
        status, _, body, _ = await get(f"/api/reports/cash-flow?{RANGE}", who="asha")
        assert status == 403
        return True

    assert served(engine, tmp_path, script)


def test_every_report_is_documented(tmp_path):
    doc = create_app(Settings(var_dir=tmp_path, database_url="sqlite://"))[OPENAPI]
    for name in REPORTS:
        op = doc["paths"][f"/api/reports/{name}"]["get"]
        params = {p["name"] for p in op["parameters"]}
        assert {"start", "end", "format"} <= params, name
        assert op["x-roles"] and op["summary"], name
