"""scripts/devrun.py: the supervisor behind `make run`.

Dummy processes (python -m http.server, a shell line that exits) stand in for
the real ones. Timeouts are generous; nothing asserts on how fast it is.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVRUN = ROOT / "scripts" / "devrun.py"
TIMEOUT = 60.0

spec = importlib.util.spec_from_file_location("devrun", DEVRUN)
devrun = importlib.util.module_from_spec(spec)
sys.modules["devrun"] = devrun
spec.loader.exec_module(devrun)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_server(port: int) -> str:
    return f"{shlex.quote(sys.executable)} -m http.server {port} --bind 127.0.0.1"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Devrun:
    """devrun.py running in a subprocess, its output collected line by line."""

    def __init__(self, tmp_path: Path, procfile_text: str, *extra: str) -> None:
        (tmp_path / "Procfile").write_text(procfile_text)
        self.log_dir = tmp_path / "logs"
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.popen = subprocess.Popen(
            [sys.executable, str(DEVRUN), "Procfile", "--log-dir", str(self.log_dir),
             "--ready-timeout", "45", "--grace", "5", *extra],
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env=dict(os.environ, NO_COLOR="1"),
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.popen.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str) -> None:
        while True:
            try:
                line = self._queue.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"no line containing {text!r} within {TIMEOUT} s:\n" + self.output)
            if line is None:
                pytest.fail(f"devrun ended before printing {text!r}:\n" + self.output)
            self.lines.append(line)
            if text in line:
                return

    def wait_exit(self) -> int:
        code = self.popen.wait(TIMEOUT)
        while (line := self._queue.get(timeout=TIMEOUT)) is not None:
            self.lines.append(line)
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(TIMEOUT)


def test_parse_procfile_reads_names_commands_and_ready_urls():
    entries = devrun.parse_procfile(
        "# a comment\n"
        "\n"
        "api: .venv/bin/python -m backend.api  # ready: http://127.0.0.1:8000/api/health\n"
        "hub: run hub --x=1 # ready: http://127.0.0.1:8080/health url: http://127.0.0.1:8080/console\n"
        "worker: echo 'a # not a ready marker'\n"
    )
    assert [e.name for e in entries] == ["api", "hub", "worker"]
    assert entries[0].command == ".venv/bin/python -m backend.api"
    assert entries[0].ready_url == "http://127.0.0.1:8000/api/health"
    assert entries[0].shown_url == "http://127.0.0.1:8000/"
    assert entries[1].shown_url == "http://127.0.0.1:8080/console"
    assert entries[2].command == "echo 'a # not a ready marker'"
    assert entries[2].ready_url is None


def test_page_lines_name_what_to_open_in_a_browser():
    text = ("# page: demo website = http://127.0.0.1:8080/\n"
            "#page:agent console=http://127.0.0.1:8080/console\n"
            "# a plain comment: not a page = really\n"
            "api: serve  # ready: http://127.0.0.1:8000/health\n")
    assert devrun.parse_pages(text) == [("demo website", "http://127.0.0.1:8080/"),
                                        ("agent console", "http://127.0.0.1:8080/console")]
    assert [e.name for e in devrun.parse_procfile(text)] == ["api"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "no colon here\n", "a: x\na: y\n"])
def test_parse_procfile_rejects_bad_files(text):
    with pytest.raises(devrun.ProcfileError):
        devrun.parse_procfile(text)


def test_starts_processes_waits_until_ready_and_stops_them_on_sigterm(tmp_path):
    port_a, port_b = free_port(), free_port()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "demo-logins.txt").write_text("manager  mia@example.com  demo-pass\n")
    run = Devrun(tmp_path, (
        f"alpha: {http_server(port_a)}  # ready: http://127.0.0.1:{port_a}/\n"
        f"beta: {http_server(port_b)}  # ready: http://127.0.0.1:{port_b}/\n"
        f"# page: the beta home page = http://127.0.0.1:{port_b}/home\n"
    ))
    try:
        run.wait_for("fieldserv is running")
        run.wait_for(f"the beta home page  http://127.0.0.1:{port_b}/home")  # the pages are in the banner
        run.wait_for("mia@example.com")  # the demo logins are in the banner
        run.wait_for("Stop: Ctrl-C")
        assert "alpha is ready" in run.output and "beta is ready" in run.output
        assert f"http://127.0.0.1:{port_a}/" in run.output
        # Both really serve.
        for port in (port_a, port_b):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
                assert resp.status == 200

        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
        assert "all processes stopped" in run.output
        assert not port_open(port_a) and not port_open(port_b)
        # Each child's output went to its log, and was shown prefixed by name.
        assert "Serving HTTP" in (run.log_dir / "alpha.log").read_text()
        assert any(line.startswith("beta") and "Serving HTTP" in line for line in run.lines)
    finally:
        run.kill()


def test_a_process_that_dies_after_start_up_is_restarted_and_the_others_keep_serving(tmp_path):
    port = free_port()
    marker = tmp_path / "runs"
    run = Devrun(tmp_path, (
        f"steady: {http_server(port)}  # ready: http://127.0.0.1:{port}/\n"
        # up for good from its second run on
        f"flaky: echo run >> {marker}; if [ $(wc -l < {marker}) -lt 2 ]; then sleep 2; echo 'flaky fails now' >&2;"
        " exit 3; fi; exec sleep 600\n"
    ))
    try:
        run.wait_for("fieldserv is running")
        run.wait_for("flaky exited (3); restarting in 1 s (attempt 1)")
        assert str(run.log_dir / "flaky.log") in run.lines[-1]
        run.wait_for("status: steady up, flaky restarting (attempt 1)")
        run.wait_for("starting flaky again (attempt 1)")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.status == 200  # the other one kept serving
        log = (run.log_dir / "flaky.log").read_text()
        assert "flaky fails now" in log and "---- devrun: restart 1 of flaky ----" in log
        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
        assert not port_open(port)
    finally:
        run.kill()


def test_a_process_that_keeps_failing_is_given_up_on_naming_its_log(tmp_path):
    port = free_port()
    run = Devrun(tmp_path, (
        f"steady: {http_server(port)}  # ready: http://127.0.0.1:{port}/\n"
        "crashy: echo 'crashy is up'; sleep 1; echo 'crashy fails now' >&2; exit 3\n"
    ), "--max-failures", "3", "--backoff-max", "1")
    try:
        run.wait_for("crashy exited (3); restarting in 1 s (attempt 1)")
        run.wait_for("crashy exited (3); restarting in 1 s (attempt 2)")
        run.wait_for("giving up on it")
        line = run.lines[-1]
        assert "crashy exited (3); it failed 3 times" in line and str(run.log_dir / "crashy.log") in line
        run.wait_for("status: steady up, crashy gave up")
        status = [line.split() for line in (run.log_dir / "status").read_text().splitlines()]
        assert [(name, state) for name, state, _pid in status] == [("steady", "up"), ("crashy", "gave_up")]
        assert status[0][2].isdigit() and status[1][2] == "-"
        assert "crashy fails now" in (run.log_dir / "crashy.log").read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.status == 200
        assert run.popen.poll() is None  # devrun keeps the rest running
        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
    finally:
        run.kill()


def test_a_process_that_stops_answering_its_health_url_is_killed_and_restarted(tmp_path):
    port = free_port()
    run = Devrun(tmp_path, f"frozen: {http_server(port)}  # ready: http://127.0.0.1:{port}/\n",
                 "--health-interval", "0.5", "--health-timeout", "0.5", "--health-failures", "2")
    try:
        run.wait_for("fieldserv is running")
        first = run.popen.pid  # (only to be sure we freeze the server, not devrun)
        pids = subprocess.run(["pgrep", "-f", f"http.server {port}"], capture_output=True, text=True).stdout.split()
        pids = [int(p) for p in pids if int(p) != first]
        assert pids
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)  # alive, but answers nothing: like a hung worker
        run.wait_for("frozen: health check 1 of 2 failed")
        run.wait_for(f"frozen did not answer http://127.0.0.1:{port}/ 2 times in a row; restarting in 1 s")
        run.wait_for("frozen is up again")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.status == 200
        for pid in pids:
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
    finally:
        run.kill()


@pytest.mark.parametrize("attempt, expected", [(0, 0), (1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (50, 30)])
def test_backoff_doubles_up_to_a_cap(attempt, expected):
    assert devrun.backoff_delay(attempt, base=1, cap=30) == expected


def test_restart_plan_counts_only_failures_within_the_window_and_gives_up_at_the_limit():
    policy = devrun.Policy(max_failures=5, failure_window=120, backoff_base=1, backoff_max=30)
    plan = devrun.plan_restart
    assert plan([100.0], 100.0, policy) == devrun.Decision(False, 1, 1)
    assert plan([100.0, 101.0], 101.0, policy) == devrun.Decision(False, 2, 2)
    assert plan([10.0, 20.0, 30.0, 40.0], 40.0, policy) == devrun.Decision(False, 4, 8)
    assert plan([10.0, 20.0, 30.0, 40.0, 50.0], 50.0, policy).give_up
    # failures older than the window are forgiven: a process that ran for a while starts over
    assert plan([0.0, 1.0, 2.0, 3.0, 500.0], 500.0, policy) == devrun.Decision(False, 1, 1)
    assert devrun.recent_failures([0.0, 100.0, 200.0], 210.0, 120) == [100.0, 200.0]


def test_a_process_is_unhealthy_after_consecutive_failed_checks():
    policy = devrun.Policy(health_failures=3)
    assert [devrun.unhealthy(n, policy) for n in range(5)] == [False, False, False, True, True]


def test_a_process_that_dies_before_it_is_ready_fails_the_start(tmp_path):
    port = free_port()  # nothing will ever listen here
    run = Devrun(tmp_path, f"broken: exit 7  # ready: http://127.0.0.1:{port}/\n")
    try:
        assert run.wait_exit() == 1
        assert "broken exited with code 7" in run.output
        assert "fieldserv is running" not in run.output
    finally:
        run.kill()
