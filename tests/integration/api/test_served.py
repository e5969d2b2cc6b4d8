"""The API as ``make run`` starts it: ``python -m backend.cli setup-db`` and
then ``python -m backend.api`` in a fresh process, on a free port; the demo
logins work and a request walks into the database."""

from __future__ import annotations

import os
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
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=15)
    assert b"Traceback" not in out, out.decode(errors="replace")
