"""The API as ``make run`` starts it: ``python -m backend.cli setup-db`` and
then ``python -m backend.api`` in a fresh process, on a free port; the demo
logins work and a request walks into the database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import requests

from backend.settings import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_m_backend_api_serves_the_demo_world(tmp_path) -> None:
    port = _free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "API_PORT": str(port), "API_HOST": "127.0.0.1"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "backend.cli", "setup-db"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    assert (tmp_path / "demo-logins.txt").exists()
    server = subprocess.Popen([sys.executable, "-m", "backend.api"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise AssertionError("the API did not come up")
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
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=15)
    assert b"Traceback" not in out, out.decode(errors="replace")
