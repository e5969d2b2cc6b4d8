#!/usr/bin/env python3
"""A small process supervisor for development: `devrun.py Procfile.dev`.

Procfile format, one process a line::

    # comments and blank lines are ignored
    name: shell command          # ready: http://127.0.0.1:8000/api/health

Each command runs through ``bash -c`` in the Procfile's folder, in its own
process group, with its output prefixed by its (coloured) name and copied to
``<log-dir>/<name>.log``. The optional trailing ``# ready: URL`` is polled
until it answers with a non-error HTTP status; an optional ``url: URL`` in the
same comment names the address shown in the banner (default: the ready URL's
origin). When every process is ready, a banner lists the URLs and the demo
logins from ``var/demo-logins.txt`` (if that file exists).

After start-up devrun heals: a process that exits is started again after a
backoff (1, 2, 4 ... 30 s, doubling with each failure in the failure window)
while the others keep serving; a process with a ready URL is checked every
``--health-interval`` seconds, and after ``--health-failures`` consecutive
failed checks (each with a ``--health-timeout``) its process group is killed
and it is restarted the same way. A process that fails ``--max-failures``
times within ``--failure-window`` seconds is given up on, with one line naming
its log; the rest keep running. Every restart, recovery and give-up is one
``devrun |`` line followed by a status line saying which processes are up.

Ctrl-C or SIGTERM stops every process group (SIGTERM, then SIGKILL after a
grace period) and exits 0. A process that exits or is not ready in time
*during start-up* still stops the others, and devrun exits 1 naming it and
its log; so does a run in which every process has been given up on.

``--keep-going`` (the production profile, ``make run-prod``): the same
healing from the first second. A process that dies or is not ready in time
during start-up is restarted like any other instead of stopping the rest;
the banner is printed when every process is up (or given up on), or after
``--ready-timeout`` with each one's state. ``--only a,b`` runs those
processes of the Procfile alone (one machine's share of a profile);
``--cwd`` runs the commands in another folder than the Procfile's.

Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

COLOURS = ("36", "33", "32", "35", "34", "91", "96", "93")
LINE_RE = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)\s*:\s*(?P<rest>.+)$")
META_RE = re.compile(r"\s#\s*(?P<meta>(?:ready|url)\s*:.*)$")
META_ITEM_RE = re.compile(r"(ready|url)\s*:\s*(\S+)")


class ProcfileError(ValueError):
    """The Procfile cannot be read."""


@dataclass(frozen=True)
class Entry:
    name: str
    command: str
    ready_url: str | None = None
    url: str | None = None

    @property
    def shown_url(self) -> str | None:
        if self.url:
            return self.url
        if self.ready_url:
            parts = urlsplit(self.ready_url)
            return f"{parts.scheme}://{parts.netloc}/"
        return None


PAGE_RE = re.compile(r"^#\s*page:\s*(?P<label>.+?)\s*=\s*(?P<url>\S+)\s*$")


def parse_pages(text: str) -> list[tuple[str, str]]:
    """The ``# page: label = URL`` lines of a Procfile: what to open in a browser."""
    return [(m["label"], m["url"]) for m in map(PAGE_RE.match, (line.strip() for line in text.splitlines())) if m]


def parse_procfile(text: str) -> list[Entry]:
    """Parse Procfile text into entries, in order; names must be unique."""
    entries: list[Entry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE_RE.match(line)
        if not match:
            raise ProcfileError(f"line {number}: expected 'name: command', got {raw!r}")
        name, rest = match["name"], match["rest"]
        meta = {}
        meta_match = META_RE.search(rest)
        if meta_match:
            meta = dict(META_ITEM_RE.findall(meta_match["meta"]))
            rest = rest[: meta_match.start()]
        command = rest.strip()
        if not command:
            raise ProcfileError(f"line {number}: process {name!r} has no command")
        if any(e.name == name for e in entries):
            raise ProcfileError(f"line {number}: process name {name!r} used twice")
        entries.append(Entry(name, command, meta.get("ready"), meta.get("url")))
    if not entries:
        raise ProcfileError("no processes defined")
    return entries


# -- the healing policy (pure functions) ---------------------------------------

@dataclass(frozen=True)
class Policy:
    """When to restart and when to give up; the defaults are ``make run``'s."""
    backoff_base: float = 1.0      # seconds before the first restart
    backoff_max: float = 30.0      # the longest wait between restarts
    max_failures: int = 5          # failures within the window that make devrun give up
    failure_window: float = 120.0  # seconds
    health_interval: float = 2.0   # seconds between health checks of a running process
    health_timeout: float = 3.0    # seconds one health check may take
    health_failures: int = 3       # consecutive failed checks that make a process unhealthy


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 30.0) -> float:
    """Seconds to wait before restart number ``attempt`` (1, 2, 3 ...):
    ``base`` doubled each time, never more than ``cap``."""
    if attempt < 1:
        return 0.0
    return min(cap, base * 2 ** min(attempt - 1, 30))


def recent_failures(failures: list[float], now: float, window: float) -> list[float]:
    """The failure times (monotonic seconds) that are still inside the window."""
    return [t for t in failures if now - t <= window]


@dataclass(frozen=True)
class Decision:
    give_up: bool
    attempt: int      # the restart's number among the recent failures (1 = first)
    delay: float      # seconds to wait before starting it again


def plan_restart(failures: list[float], now: float, policy: Policy = Policy()) -> Decision:
    """What to do after a failure at ``now`` (already in ``failures``): give up
    after ``max_failures`` within the window, else restart after a backoff that
    doubles with each recent failure."""
    recent = recent_failures(failures, now, policy.failure_window)
    attempt = max(1, len(recent))
    if attempt >= policy.max_failures:
        return Decision(True, attempt, 0.0)
    return Decision(False, attempt, backoff_delay(attempt, base=policy.backoff_base, cap=policy.backoff_max))


def unhealthy(consecutive_failed_checks: int, policy: Policy = Policy()) -> bool:
    return consecutive_failed_checks >= policy.health_failures


# Process states after start-up.
UP, STARTING, WAITING, GAVE_UP = "up", "starting", "restarting", "gave up"


@dataclass
class Proc:
    entry: Entry
    colour: str
    log_path: Path
    popen: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    tail: deque = field(default_factory=lambda: deque(maxlen=15))
    ready: bool = False
    state: str = STARTING
    failures: list[float] = field(default_factory=list)
    attempt: int = 0
    restart_at: float = 0.0
    started_at: float = 0.0
    failed_checks: int = 0
    next_check: float = 0.0
    check: concurrent.futures.Future | None = None


class Supervisor:
    def __init__(self, entries: list[Entry], *, cwd: Path, log_dir: Path,
                 colour: bool, width: int | None = None, policy: Policy = Policy()) -> None:
        self.cwd = cwd
        self.policy = policy
        self.checker = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(entries)),
                                                             thread_name_prefix="health")
        self.log_dir = log_dir
        self.use_colour = colour
        self.width = width or max(len("devrun"), *(len(e.name) for e in entries))
        self.procs = [
            Proc(e, COLOURS[i % len(COLOURS)], log_dir / f"{e.name}.log")
            for i, e in enumerate(entries)
        ]
        self.out_lock = threading.Lock()
        self.stopping = False

    # -- output ------------------------------------------------------------
    def paint(self, text: str, colour: str) -> str:
        return f"\033[{colour}m{text}\033[0m" if self.use_colour else text

    def emit(self, line: str) -> None:
        with self.out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def say(self, message: str) -> None:
        self.emit(self.paint(f"{'devrun':<{self.width}} | ", "1") + message)

    def _pump(self, proc: Proc) -> None:
        prefix = self.paint(f"{proc.entry.name:<{self.width}} | ", proc.colour)
        assert proc.popen is not None and proc.popen.stdout is not None
        with open(proc.log_path, "ab") as log:
            for raw in iter(proc.popen.stdout.readline, b""):
                log.write(raw)
                log.flush()
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                proc.tail.append(text)
                self.emit(prefix + text)

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for proc in self.procs:
            proc.log_path.write_bytes(b"")
            self.say(f"starting {proc.entry.name}: {proc.entry.command}")
            self.spawn(proc)

    def spawn(self, proc: Proc) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc.popen = subprocess.Popen(
            ["bash", "-c", proc.entry.command],
            cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.started_at = time.monotonic()
        proc.failed_checks = 0
        proc.check = None
        proc.reader = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        proc.reader.start()

    def first_dead(self) -> Proc | None:
        for proc in self.procs:
            if proc.popen is not None and proc.popen.poll() is not None:
                return proc
        return None

    def wait_ready(self, timeout: float) -> Proc | None:
        """Poll readiness URLs; return the process that failed, or None."""
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        pending = [p for p in self.procs if p.entry.ready_url]
        for proc in self.procs:
            proc.ready = not proc.entry.ready_url
        if pending:
            self.say("waiting for " + ", ".join(
                f"{p.entry.name} ({p.entry.ready_url})" for p in pending))
        while pending and not self.stopping:
            dead = self.first_dead()
            if dead is not None:
                return dead
            for proc in list(pending):
                if url_answers(proc.entry.ready_url):
                    proc.ready = True
                    pending.remove(proc)
                    self.say(f"{proc.entry.name} is ready "
                             f"({time.monotonic() - started:.1f} s)")
            if pending and time.monotonic() > deadline:
                return pending[0]
            if pending:
                time.sleep(0.25)
        return None

    def stop(self, grace: float) -> None:
        alive = [p for p in self.procs if p.popen is not None and p.popen.poll() is None]
        for proc in alive:
            signal_group(proc.popen, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in alive:
            try:
                proc.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{proc.entry.name} ignored SIGTERM for {grace:.0f} s; killing it")
        for proc in self.procs:
            kill_group(proc)  # whatever is left in each group (grandchildren too)
        for proc in self.procs:
            if proc.reader is not None:
                proc.reader.join(2)

    def banner(self, logins_file: Path, pages: list[tuple[str, str]] = ()) -> None:
        rule = "=" * 64
        lines = [rule, "fieldserv is running:"]
        for proc in self.procs:
            url = proc.entry.shown_url
            health = f"  (health: {proc.entry.ready_url})" if proc.entry.ready_url else ""
            lines.append(f"  {proc.entry.name:<{self.width}}  {proc.state:<7} {url or '-'}{health}")
        if pages:
            width = max(len(label) for label, _ in pages)
            lines += ["", "Open in a browser:"] + [f"  {label:<{width}}  {url}" for label, url in pages]
        if logins_file.is_file():
            logins = logins_file.read_text().splitlines()
            if not (logins and logins[0].rstrip().endswith(":")):
                logins.insert(0, "Demo logins:")
            lines += ["", logins[0]] + ["  " + line for line in logins[1:]]
        else:
            lines += ["", f"(no demo logins: {logins_file} does not exist)"]
        lines += ["", f"Logs: {self.log_dir}/<name>.log     Stop: Ctrl-C",
                  "A process that dies or stops answering its health URL is restarted.", rule]
        self.emit("\n".join(lines))

    # -- healing (after start-up) -------------------------------------------
    def status_line(self) -> str:
        parts = []
        for proc in self.procs:
            if proc.state == WAITING:
                parts.append(f"{proc.entry.name} restarting (attempt {proc.attempt})")
            else:
                parts.append(f"{proc.entry.name} {proc.state}")
        return "status: " + ", ".join(parts)

    def write_status(self) -> None:
        """``<log-dir>/status``: one ``name state pid`` line a process, for scripts
        (the pid of the command devrun started, ``-`` while it is not running)."""
        def pid(p: Proc) -> str:
            return str(p.popen.pid) if p.popen is not None and p.popen.poll() is None else "-"
        try:
            tmp = self.log_dir / "status.tmp"
            tmp.write_text("".join(f"{p.entry.name} {p.state.replace(' ', '_')} {pid(p)}\n" for p in self.procs))
            tmp.replace(self.log_dir / "status")  # readers never see half a file
        except OSError:
            pass

    def mark_started(self) -> None:
        """After a successful start-up: everything is up and watched."""
        now = time.monotonic()
        for proc in self.procs:
            proc.state = UP
            proc.next_check = now + self.policy.health_interval
        self.write_status()

    def fail(self, proc: Proc, reason: str, now: float) -> None:
        """A process died or stopped answering: kill what is left of its
        group, then schedule a restart, or give up on it."""
        kill_group(proc)
        if proc.reader is not None:
            proc.reader.join(1)  # its last lines first
        proc.failures = recent_failures(proc.failures + [now], now, self.policy.failure_window)
        decision = plan_restart(proc.failures, now, self.policy)
        proc.attempt = decision.attempt
        if decision.give_up:
            proc.state = GAVE_UP
            self.say(self.paint(
                f"{proc.entry.name} {reason}; it failed {decision.attempt} times in "
                f"{self.policy.failure_window:.0f} s, giving up on it (the others keep running); "
                f"see its log: {proc.log_path}", "1;31"))
        else:
            proc.state = WAITING
            proc.restart_at = now + decision.delay
            self.say(self.paint(
                f"{proc.entry.name} {reason}; restarting in {decision.delay:g} s "
                f"(attempt {decision.attempt}); log: {proc.log_path}", "1;33"))
        self.write_status()
        self.say(self.status_line())

    def heal_once(self, now: float, ready_timeout: float) -> None:
        """One pass of the watch loop: notice deaths and failed health checks,
        start what is due, and mark restarted processes up when they answer."""
        for proc in self.procs:
            if proc.state == GAVE_UP:
                continue
            if proc.state == WAITING:
                if now >= proc.restart_at and not self.stopping:
                    with open(proc.log_path, "ab") as log:
                        log.write(f"---- devrun: restart {proc.attempt} of {proc.entry.name} ----\n".encode())
                    self.say(f"starting {proc.entry.name} again (attempt {proc.attempt})")
                    self.spawn(proc)
                    proc.state = STARTING if proc.entry.ready_url else UP
                    proc.next_check = now
                    self.write_status()
                    if proc.state == UP:
                        self.say(self.status_line())
                continue
            assert proc.popen is not None
            if proc.popen.poll() is not None:
                self.fail(proc, exit_reason(proc.popen, short=True), now)
                continue
            if not proc.entry.ready_url:
                continue
            if proc.check is not None:
                if not proc.check.done():
                    continue
                ok, proc.check = proc.check.result(), None
                if proc.state == STARTING:
                    if ok:
                        proc.state = UP
                        self.write_status()
                        if proc.attempt:
                            self.say(self.paint(f"{proc.entry.name} is up again "
                                                f"({now - proc.started_at:.1f} s after its restart)", "1;32"))
                            self.say(self.status_line())
                        else:  # --keep-going's first start: the banner follows
                            self.say(f"{proc.entry.name} is ready ({now - proc.started_at:.1f} s)")
                    elif now - proc.started_at > ready_timeout:
                        self.fail(proc, f"was not ready at {proc.entry.ready_url} within {ready_timeout:.0f} s", now)
                        continue
                    proc.next_check = now + (0.5 if proc.state == STARTING else self.policy.health_interval)
                else:
                    proc.failed_checks = 0 if ok else proc.failed_checks + 1
                    if not ok:
                        self.say(f"{proc.entry.name}: health check {proc.failed_checks} of "
                                 f"{self.policy.health_failures} failed ({proc.entry.ready_url})")
                    if unhealthy(proc.failed_checks, self.policy):
                        self.fail(proc, f"did not answer {proc.entry.ready_url} "
                                  f"{proc.failed_checks} times in a row", now)
                        continue
                    proc.next_check = now + self.policy.health_interval
            elif now >= proc.next_check:
                proc.check = self.checker.submit(url_answers, proc.entry.ready_url, self.policy.health_timeout)

    def start_watching(self) -> None:
        """``--keep-going``: heal from the start; processes with a ready URL
        are starting until it answers, the others up."""
        now = time.monotonic()
        for proc in self.procs:
            proc.state = STARTING if proc.entry.ready_url else UP
            proc.next_check = now
        self.write_status()

    def settled(self) -> bool:
        """Every process up or given up on (none starting or waiting to restart)."""
        return all(p.state in (UP, GAVE_UP) for p in self.procs)

    def all_given_up(self) -> bool:
        return all(p.state == GAVE_UP for p in self.procs)

    def report_death(self, proc: Proc, reason: str) -> None:
        if proc.reader is not None:
            proc.reader.join(1)  # let its last lines arrive first
        self.say(self.paint(f"{proc.entry.name} {reason}; stopping everything", "1;31"))
        if proc.tail:
            self.say(f"last lines of {proc.entry.name}:")
            for line in list(proc.tail):
                self.say("    " + line)
        self.say(f"full log of {proc.entry.name}: {proc.log_path}")


def kill_group(proc) -> None:
    """SIGKILL a process's whole group and reap it (a few seconds at most)."""
    if proc.popen is None:
        return
    signal_group(proc.popen, signal.SIGKILL)
    try:
        proc.popen.wait(5)
    except subprocess.TimeoutExpired:
        pass


def signal_group(popen: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(popen.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local URLs: no proxy


def url_answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status < 400
    except urllib.error.HTTPError as error:
        return error.code < 400
    except (OSError, ValueError):
        return False


def exit_reason(popen: subprocess.Popen, short: bool = False) -> str:
    code = popen.returncode
    if short:
        return f"exited ({code})"
    if code is not None and code < 0:
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


def keep_going(supervisor: Supervisor, args: argparse.Namespace, pages: list[tuple[str, str]],
               requested: list[int]) -> int:
    """The watch loop of ``--keep-going``: heal from the start, print the
    banner once everything has settled (or the ready timeout has passed)."""
    supervisor.start_watching()
    started, bannered = time.monotonic(), False
    while not requested:
        now = time.monotonic()
        supervisor.heal_once(now, args.ready_timeout)
        if not bannered and (supervisor.settled() or now - started > args.ready_timeout):
            bannered = True
            supervisor.banner(args.logins, pages)
            supervisor.say(supervisor.status_line())
        if supervisor.all_given_up():
            supervisor.say(supervisor.paint("every process has been given up on; stopping", "1;31"))
            return 1
        time.sleep(0.2)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("procfile", type=Path, nargs="?", default=Path("Procfile.dev"))
    parser.add_argument("--log-dir", type=Path, default=Path("var/log/devrun"),
                        help="where each process's log goes (default: %(default)s)")
    parser.add_argument("--logins", type=Path, default=Path("var/demo-logins.txt"),
                        help="file shown in the banner (default: %(default)s)")
    parser.add_argument("--ready-timeout", type=float, default=180.0,
                        help="seconds to wait for all ready URLs (default: %(default)s)")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds between SIGTERM and SIGKILL on stop (default: %(default)s)")
    parser.add_argument("--keep-going", action="store_true",
                        help="restart processes that fail during start-up too, never stop the rest "
                             "(the production profile)")
    parser.add_argument("--only", default="",
                        help="names separated by ',' or ':': run only these processes of the Procfile")
    parser.add_argument("--cwd", type=Path, default=None,
                        help="folder the commands run in (default: the Procfile's)")
    d = Policy()
    parser.add_argument("--backoff-max", type=float, default=d.backoff_max,
                        help="longest wait before a restart, seconds (default: %(default)s)")
    parser.add_argument("--max-failures", type=int, default=d.max_failures,
                        help="failures within the window before giving up (default: %(default)s)")
    parser.add_argument("--failure-window", type=float, default=d.failure_window,
                        help="seconds (default: %(default)s)")
    parser.add_argument("--health-interval", type=float, default=d.health_interval,
                        help="seconds between health checks (default: %(default)s)")
    parser.add_argument("--health-timeout", type=float, default=d.health_timeout,
                        help="seconds one health check may take (default: %(default)s)")
    parser.add_argument("--health-failures", type=int, default=d.health_failures,
                        help="consecutive failed checks before a restart (default: %(default)s)")
    args = parser.parse_args(argv)
    policy = Policy(backoff_base=d.backoff_base, backoff_max=args.backoff_max, max_failures=args.max_failures,
                    failure_window=args.failure_window, health_interval=args.health_interval,
                    health_timeout=args.health_timeout, health_failures=args.health_failures)

    try:
        text = args.procfile.read_text()
        entries, pages = parse_procfile(text), parse_pages(text)
        if args.only:
            wanted = set(re.split(r"[,:\s]+", args.only.strip())) - {""}  # ':' for systemd instance names
            unknown = wanted - {e.name for e in entries}
            if unknown:
                raise ProcfileError(f"--only names processes it does not have: {', '.join(sorted(unknown))}")
            entries = [e for e in entries if e.name in wanted]
    except (OSError, ProcfileError) as error:
        print(f"devrun: {args.procfile}: {error}", file=sys.stderr)
        return 2

    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    colour = colour or bool(os.environ.get("FORCE_COLOR"))
    supervisor = Supervisor(entries, cwd=(args.cwd or args.procfile.resolve().parent).resolve(),
                            log_dir=args.log_dir.resolve(), colour=colour, policy=policy)

    requested: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        requested.append(signum)
        supervisor.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    status = 0
    if args.keep_going:
        try:
            supervisor.start()
            status = keep_going(supervisor, args, pages, requested)
        finally:
            if requested:
                supervisor.say(f"got {signal.Signals(requested[0]).name}; stopping everything")
            supervisor.stop(args.grace)
            supervisor.checker.shutdown(wait=False, cancel_futures=True)
            supervisor.say("all processes stopped")
        return status
    try:
        supervisor.start()
        failed = supervisor.wait_ready(args.ready_timeout)
        if failed is not None and not requested:
            if failed.popen is not None and failed.popen.poll() is not None:
                supervisor.report_death(failed, exit_reason(failed.popen))
            else:
                supervisor.report_death(
                    failed, f"was not ready at {failed.entry.ready_url} "
                    f"within {args.ready_timeout:.0f} s")
            status = 1
        elif not requested:
            supervisor.mark_started()
            supervisor.banner(args.logins, pages)
            while not requested:
                supervisor.heal_once(time.monotonic(), args.ready_timeout)
                if supervisor.all_given_up():
                    supervisor.say(supervisor.paint("every process has been given up on; stopping", "1;31"))
                    status = 1
                    break
                time.sleep(0.2)
    finally:
        if requested:
            supervisor.say(f"got {signal.Signals(requested[0]).name}; stopping everything")
        supervisor.stop(args.grace)
        supervisor.checker.shutdown(wait=False, cancel_futures=True)
        supervisor.say("all processes stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
