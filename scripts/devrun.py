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

Ctrl-C or SIGTERM stops every process group (SIGTERM, then SIGKILL after a
grace period) and exits 0. If a process exits on its own, or is not ready in
time, the others are stopped too and devrun exits 1 naming it and its log.

Standard library only.
"""

from __future__ import annotations

import argparse
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


@dataclass
class Proc:
    entry: Entry
    colour: str
    log_path: Path
    popen: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    tail: deque = field(default_factory=lambda: deque(maxlen=15))
    ready: bool = False


class Supervisor:
    def __init__(self, entries: list[Entry], *, cwd: Path, log_dir: Path,
                 colour: bool, width: int | None = None) -> None:
        self.cwd = cwd
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
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        for proc in self.procs:
            proc.log_path.write_bytes(b"")
            self.say(f"starting {proc.entry.name}: {proc.entry.command}")
            proc.popen = subprocess.Popen(
                ["bash", "-c", proc.entry.command],
                cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
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
            # Kill whatever is left in each group (grandchildren too).
            if proc.popen is not None:
                signal_group(proc.popen, signal.SIGKILL)
                try:
                    proc.popen.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        for proc in self.procs:
            if proc.reader is not None:
                proc.reader.join(2)

    def banner(self, logins_file: Path, pages: list[tuple[str, str]] = ()) -> None:
        rule = "=" * 64
        lines = [rule, "fieldserv is running:"]
        for proc in self.procs:
            url = proc.entry.shown_url
            health = f"  (health: {proc.entry.ready_url})" if proc.entry.ready_url else ""
            lines.append(f"  {proc.entry.name:<{self.width}}  {url or '-'}{health}")
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
        lines += ["", f"Logs: {self.log_dir}/<name>.log     Stop: Ctrl-C", rule]
        self.emit("\n".join(lines))

    def report_death(self, proc: Proc, reason: str) -> None:
        if proc.reader is not None:
            proc.reader.join(1)  # let its last lines arrive first
        self.say(self.paint(f"{proc.entry.name} {reason}; stopping everything", "1;31"))
        if proc.tail:
            self.say(f"last lines of {proc.entry.name}:")
            for line in list(proc.tail):
                self.say("    " + line)
        self.say(f"full log of {proc.entry.name}: {proc.log_path}")


def signal_group(popen: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(popen.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local URLs: no proxy


def url_answers(url: str) -> bool:
    try:
        with _OPENER.open(url, timeout=2) as response:
            return response.status < 400
    except urllib.error.HTTPError as error:
        return error.code < 400
    except (OSError, ValueError):
        return False


def exit_reason(popen: subprocess.Popen) -> str:
    code = popen.returncode
    if code is not None and code < 0:
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


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
    args = parser.parse_args(argv)

    try:
        text = args.procfile.read_text()
        entries, pages = parse_procfile(text), parse_pages(text)
    except (OSError, ProcfileError) as error:
        print(f"devrun: {args.procfile}: {error}", file=sys.stderr)
        return 2

    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    colour = colour or bool(os.environ.get("FORCE_COLOR"))
    supervisor = Supervisor(entries, cwd=args.procfile.resolve().parent,
                            log_dir=args.log_dir.resolve(), colour=colour)

    requested: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        requested.append(signum)
        supervisor.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    status = 0
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
            supervisor.banner(args.logins, pages)
            while not requested:
                dead = supervisor.first_dead()
                if dead is not None:
                    supervisor.report_death(dead, exit_reason(dead.popen))
                    status = 1
                    break
                time.sleep(0.2)
    finally:
        if requested:
            supervisor.say(f"got {signal.Signals(requested[0]).name}; stopping everything")
        supervisor.stop(args.grace)
        supervisor.say("all processes stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
