"""The API as ``make run`` starts it: ``python -m backend.cli setup-db`` and
then ``python -m backend.api`` in a fresh process, on a free port; the demo
logins work and a request walks into the database."""

from __future__ import annotations

import shutil
import subprocess

import requests

from backend.settings import ROOT
from tests.support.served_api import api_env, cli, served_api


def test_python_m_backend_api_serves_the_demo_world(tmp_path) -> None:
    env = api_env(tmp_path)
    assert cli(env, "setup-db", check=True).returncode == 0
    assert (tmp_path / "demo-logins.txt").exists()
    with served_api(env) as base:
        token = requests.post(f"{base}/api/login", timeout=30,
                              json={"email": "asha@example.com", "password": "demo1234"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        r = requests.post(f"{base}/api/requests", headers=auth, timeout=30,
                          json={"want": "service", "problem": "AC not cooling", "serial": "AC15-2022-0042"})
        assert r.status_code == 201, r.text
        assert r.json()["kind"] == "job" and r.json()["entitlement"]["cover"] == "AMC"
        jobs = requests.get(f"{base}/api/jobs", headers=auth, timeout=30).json()
        assert r.json()["job_number"] in {j["number"] for j in jobs}
        if shutil.which("jq") and shutil.which("curl"):  # the README's curl walk, as printed there
            walk = subprocess.run(["bash", "scripts/walk_process_b.sh"], cwd=ROOT, capture_output=True, text=True,
                                  env={**env, "API": base, "RUN": "1"}, timeout=300)
            assert walk.returncode == 0, walk.stdout + walk.stderr
            lines = dict((line[:34].strip(), line[34:].strip())
                         for line in walk.stdout.splitlines())
            assert lines["job"].startswith('{"state":"settled"')
            assert lines["B12 same payment retried"].endswith('"created":false}')
            assert '"invoice_outstanding":"0.00"' in lines["B12 receipt"]
            assert '"total_credit":"767.00"' in lines["Asha's statement"]  # 650 capacitor + 18% tax, paid
            assert lines["technician's statement"] == '{"closing":"150.00"}'
