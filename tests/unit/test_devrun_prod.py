"""scripts/devrun.py --keep-going: the production profile's restart policy
(``make run-prod``). Unlike ``make run``, nothing stops the rest: a process
that dies during start-up is restarted like any other, a killed one comes
back after its backoff, and ``--only`` runs one machine's share of a Procfile.
Dummy processes stand in for the real ones (tests/unit/test_devrun.py has the
shared healing rules)."""

from __future__ import annotations

import os
import signal
import urllib.request

from tests.unit.test_devrun import Devrun, free_port, http_server, port_open


def pid_of(run: Devrun, name: str) -> int:
    for line in (run.log_dir / "status").read_text().splitlines():
        proc, state, pid = line.split()
        if proc == name and state == "up" and pid != "-":
            return int(pid)
    raise AssertionError(f"{name} is not up: {(run.log_dir / 'status').read_text()}")


def test_a_process_killed_in_the_prod_profile_is_restarted_while_the_others_keep_serving(tmp_path):
    web, api = free_port(), free_port()
    run = Devrun(tmp_path, (
        f"web: {http_server(web)}  # ready: http://127.0.0.1:{web}/\n"
        f"api: {http_server(api)}  # ready: http://127.0.0.1:{api}/\n"
    ), "--keep-going")
    try:
        run.wait_for("fieldserv is running")
        run.wait_for("status: web up, api up")
        os.killpg(pid_of(run, "api"), signal.SIGKILL)
        run.wait_for("api exited (-9); restarting in 1 s (attempt 1)")
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=10) as resp:
            assert resp.status == 200  # the other one kept serving
        run.wait_for("api is up again")
        with urllib.request.urlopen(f"http://127.0.0.1:{api}/", timeout=10) as resp:
            assert resp.status == 200
        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
        assert not port_open(web) and not port_open(api)
    finally:
        run.kill()


def test_a_process_that_dies_during_start_up_is_restarted_not_fatal(tmp_path):
    port = free_port()
    marker = tmp_path / "runs"
    run = Devrun(tmp_path, (
        f"steady: {http_server(port)}  # ready: http://127.0.0.1:{port}/\n"
        # dies at once on its first run (as a Rasa whose database is not up yet), then stays up
        f"late: echo run >> {marker}; if [ $(wc -l < {marker}) -lt 2 ]; then exit 4; fi; exec sleep 600\n"
    ), "--keep-going")
    try:
        run.wait_for("late exited (4); restarting in 1 s (attempt 1)")
        run.wait_for("starting late again (attempt 1)")
        run.wait_for("fieldserv is running")
        assert "stopping everything" not in run.output
        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
    finally:
        run.kill()


def test_a_crash_loop_is_given_up_on_and_the_rest_keep_running(tmp_path):
    port = free_port()
    run = Devrun(tmp_path, (
        f"steady: {http_server(port)}  # ready: http://127.0.0.1:{port}/\n"
        "broken: echo 'cannot start' >&2; exit 9\n"
    ), "--keep-going", "--max-failures", "3", "--backoff-max", "1")
    try:
        run.wait_for("broken exited (9); it failed 3 times in 120 s, giving up on it")
        run.wait_for("status: steady up, broken gave up")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.status == 200
        assert run.popen.poll() is None  # still supervising the rest
        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
    finally:
        run.kill()


def test_only_runs_one_machines_share_in_another_folder(tmp_path):
    port = free_port()
    work = tmp_path / "work"
    work.mkdir()
    run = Devrun(tmp_path, (
        f"here: pwd > where.txt; exec {http_server(port)}  # ready: http://127.0.0.1:{port}/\n"
        "elsewhere: exit 1\n"
    ), "--keep-going", "--only", "here", "--cwd", str(work))
    try:
        run.wait_for("fieldserv is running")
        assert (work / "where.txt").read_text().strip() == str(work.resolve())
        assert "elsewhere" not in run.output
        run.popen.send_signal(signal.SIGTERM)
        assert run.wait_exit() == 0, run.output
    finally:
        run.kill()


def test_only_refuses_an_unknown_name(tmp_path):
    run = Devrun(tmp_path, "a: exec sleep 600\n", "--only", "b")
    try:
        assert run.wait_exit() == 2
    finally:
        run.kill()
