"""The README's walk from an empty database: no demo world, the first admin
from the command line, and then, through the API alone, the staff, the price
list, a new customer with her site and item, and processes A to E for her."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from backend.settings import ROOT
from tests.support.served_api import api_env, cli, served_api

pytestmark = pytest.mark.skipif(not (shutil.which("jq") and shutil.which("curl")), reason="needs curl and jq")

def test_a_business_starts_from_an_empty_database_and_runs_every_process(tmp_path) -> None:
    env = api_env(tmp_path, FIELDSERV_DEMO="0")
    assert cli(env, "setup-db", check=True).returncode == 0
    made = cli(env, "create-admin", "--email", "owner@example.com", "--name", "Priya Nair", "--password-stdin",
               input="owner-pass-1\n")
    assert made.returncode == 0, made.stderr
    with served_api(env) as base:

        walk = subprocess.run(["bash", "scripts/walk_from_empty.sh"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300, env={**env, "API": base, "ADMIN_EMAIL": "owner@example.com",
                                                "ADMIN_PASSWORD": "owner-pass-1"})
    assert walk.returncode == 0, walk.stdout + walk.stderr
    said = {line[:34].strip(): line[34:].strip() for line in walk.stdout.splitlines()}
    assert said["customers before"] == "0"
    assert said["customer"] == '{"code":"CU-000001","phone":"+919820123456"}'  # typed as 098201 23456
    assert "CU-000001" in said["same mobile again"]  # the duplicate names the existing customer
    assert said["A entitlement"] == '{"cover":"MANUFACTURER_WARRANTY","billable":[]}'  # bought 2 months ago
    assert said["B resolve"] == '{"state":"resolved","estimate_amount":"0.00"}'  # the part too: warranty
    assert said["B closed, nothing to bill"] == '{"state":"closed","invoice_number":null}'
    assert said["C accepted"] == '{"state":"active","invoice_number":"INV-000001"}'
    # D: VISIT 499.00 + CGST 9 % 44.91 + SGST 9 % 44.91, invoiced before the work and paid
    assert said["D order"] == '{"number":"SO-000001","state":"planned"} INV-000002 588.82'
    # E: BENCH 299.00 + 2 x 26.91 tax, paid in cash at the counter: delivered and closed
    assert said["E repair"] == '{"number":"RO-000001","state":"closed"} INV-000003 352.82'
    # all she still owes is the AMC: 4800.00 + 18 % = 5664.00, in four instalments
    assert said["her statement"] == '{"closing":"5664.00","total_debit":"6605.64","total_credit":"941.64"}'
