"""Load: many signed-in executives reading the ExCo page at once, served as docker-compose serves it.

At the sizes S and XL (bench/_sizes.py; BENCH_SIZES chooses others), each on a working copy of
the size's kept database:

1. gunicorn starts on loopback as docker-compose starts it (`scoreboard.wsgi`, 3 workers, 60 s
   time-out) with production settings: DEBUG off, the manifest static files (collected first),
   BEHIND_TLS_PROXY (the load sends X-Forwarded-Proto: https, as the TLS proxy does), PostgreSQL,
   and Redis as the cache and broker when there is one (BENCH_REDIS_URL, or the throwaway
   cluster's).
2. READERS executives (made for the run, all sharing one password hash) sign in through the
   real sign-in page, each getting their own session.
3. wrk (Debian's; installed when missing and we are root) drives READERS connections for
   SECONDS seconds, each request with the next executive's session: the latest month's ExCo
   page, /exco/YYYY-MM/. Every answer must be 200: any other status is an error.
4. A second run of RESTART_SECONDS restarts PostgreSQL a third of the way in (`pg_ctl restart
   -m fast`, on the throwaway cluster; on another server, the shell command BENCH_PG_RESTART).
   Errors are counted apart: during the restart (until a second after PostgreSQL accepts
   connections again), and after it, which must be none.

Printed per size: p50, p95 and p99 latency, requests per second, errors; the restart's errors;
then each goal as met or not: p95 ≤ 300 ms, ≥ 200 requests/s, 0 errors, 0 errors once the
database is back. Client and server share the machine's cores (2 here): wrk's two threads take
some of what gunicorn could use, so the figures are a floor.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database, see bench/_db.py and bench/_sizes.py),
else a throwaway cluster is started. READERS, SECONDS and RESTART_SECONDS may be set in the
environment.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import _db
import _sizes

READERS = int(os.environ.get("READERS", "50"))
SECONDS = int(os.environ.get("SECONDS", "30"))
RESTART_SECONDS = int(os.environ.get("RESTART_SECONDS", "20"))
PASSWORD = "bench-load-password"  # the readers' one password, on a scratch database only  # noqa: S105
GOAL_P95_MS = 300
GOAL_RPS = 200
PROTO = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of gunicorn says

# Each request takes the next reader's session. A non-200 answer is counted per thread: during a
# restart when it came before the second after the one written in the file args[2] (PostgreSQL
# back), after it otherwise. Only failures read the file, so the clean path stays cheap.
LUA = r"""
local sessions, threads = {}, {}
local next_one, back_file = 0, nil
bad, bad_after = 0, 0  -- globals: done() reads each thread's with thread:get
function setup(thread) table.insert(threads, thread) end
function init(args)
  for line in io.lines(args[1]) do table.insert(sessions, line) end
  back_file = args[2]
  next_one = math.random(#sessions)
end
function request()
  next_one = next_one % #sessions + 1
  return wrk.format("GET", nil, {["Cookie"] = "sessionid=" .. sessions[next_one], ["X-Forwarded-Proto"] = "https"})
end
local function back_at()
  if not back_file or back_file == "" then return nil end
  local f = io.open(back_file)
  if not f then return nil end
  local at = tonumber(f:read("*l"))
  f:close()
  return at
end
function response(status, headers, body)
  if status ~= 200 then
    local back = back_at()
    if back and os.time() > back + 1 then bad_after = bad_after + 1 else bad = bad + 1 end
  end
end
function done(summary, latency, requests)
  local not_ok, not_ok_after = 0, 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("bad")
    not_ok_after = not_ok_after + thread:get("bad_after")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT p50=%.3f p95=%.3f p99=%.3f requests=%d seconds=%.3f not_ok=%d not_ok_after=%d socket=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.duration / 1e6, not_ok, not_ok_after, e.connect + e.read + e.write + e.timeout))
end
"""


def main() -> None:
    redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
    _db.setup()
    wrk = _wrk()
    from django.core.management import call_command
    from django.test.utils import override_settings

    _db.describe_machine()
    restart = _restart_command()
    print(f"readers: {READERS}, {SECONDS} s per size; gunicorn: 3 workers; cache and broker: {redis_url or 'none'}")
    print(f"restart: {' '.join(restart) if restart else 'none (no way to restart this PostgreSQL: BENCH_PG_RESTART)'}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as work:
        static_root = Path(work) / "static"
        # DEBUG off means the manifest storage: gunicorn's {% static %} needs the collected files.
        with override_settings(STATIC_ROOT=static_root):
            call_command("collectstatic", interactive=False, verbosity=0)
        for size in _sizes.sizes(default="S,XL"):
            database = _sizes.work_copy(size)
            try:
                _add_readers(database)
                _sizes.use(None)  # gunicorn's workers are the only ones on it
                results[size.label] = _run(size.label, wrk, database, redis_url, Path(work), static_root, restart)
            finally:
                _sizes.drop(database)
    print()
    print(
        f"goal: p95 ≤ {GOAL_P95_MS} ms, ≥ {GOAL_RPS} requests/s, 0 errors, at {READERS} concurrent readers; "
        "0 errors once PostgreSQL is back from a restart"
    )
    failed = False
    for label, r in results.items():
        verdicts = {
            "p95": r["p95"] <= GOAL_P95_MS,
            "requests/s": r["rps"] >= GOAL_RPS,
            "errors": r["errors"] == 0,
        }
        if "after_restart" in r:
            verdicts["errors after the restart"] = r["after_restart"] == 0
        print(f"  {label}: " + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in verdicts.items()))
        failed |= r["errors"] > 0 or r.get("after_restart", 0) > 0
    if failed:
        sys.exit(1)


def _add_readers(database: str) -> None:
    """READERS executives on the working copy, all with one password (hashed once)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from scoreboard.models import Role, User

    _sizes.use(database)
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [
            User(username=f"reader-{n:03d}", first_name="Reader", last_name=str(n), password=password)
            for n in range(READERS)
        ]
    )
    Group.objects.get(name=Role.EXECUTIVE.value).user_set.add(*users)


def _restart_command() -> list[str] | None:
    """How to restart the scratch database's PostgreSQL: BENCH_PG_RESTART, or pg_ctl on the
    throwaway cluster (.ci/services.sh) when the scratch database is on it; None otherwise."""
    command = os.environ.get("BENCH_PG_RESTART")
    if command:
        return ["bash", "-c", command]
    services, pg_bin, port = (os.environ.get(v, "") for v in ("SERVICES_DIR", "PG_BIN", "PG_PORT"))
    data = Path(services, "pg")
    if not (services and pg_bin and (data / "postmaster.pid").exists()):
        return None
    if str(urlsplit(os.environ["BENCH_DATABASE_URL"]).port) != port:
        return None
    # restart keeps the options the server was started with (postmaster.opts); the log stays its own.
    restart = [f"{pg_bin}/pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-m", "fast", "-w", "-t", "60"]
    restart.append("restart")
    return ["runuser", "-u", "postgres", "--", *restart] if os.geteuid() == 0 else restart


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)  # noqa: S607
        return shutil.which("wrk") or sys.exit("wrk did not install")
    sys.exit("The load benchmark needs wrk: sudo apt-get install wrk")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _gunicorn(label: str, database_url: str, redis_url: str, work: Path, static_root: Path):
    """gunicorn as docker-compose starts it, on a free loopback port; its log is printed if the run fails."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BEHIND_TLS_PROXY": "true",
        "STATIC_ROOT": str(static_root),
        "CELERY_BROKER_URL": redis_url or "memory://localhost/",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    log = work / f"gunicorn-{label}.log"
    with open(log, "w") as errors:
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "scoreboard.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
                "--timeout",
                "60",
            ],
            cwd=_db.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            _wait_for(port)
            yield port
        except BaseException:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def _run(label, wrk, database, redis_url, work: Path, static_root: Path, restart: list[str] | None) -> dict:
    script = work / "load.lua"
    script.write_text(LUA)
    with _gunicorn(label, _sizes.url(database), redis_url, work, static_root) as port:
        page = _latest_month(port)
        sessions = [_sign_in(port, f"reader-{n:03d}") for n in range(READERS)]
        sessions_file = work / f"sessions-{label}.txt"
        sessions_file.write_text("\n".join(sessions) + "\n")
        for session in sessions:  # each worker warms up (connections, templates) before the timed run
            _get(port, page, session)
        result = _wrk_run(wrk, script, port, page, sessions_file, SECONDS)
        print(
            f"{label}: {page} · p50 {result['p50']:.0f} ms · p95 {result['p95']:.0f} ms · p99 {result['p99']:.0f} ms · "
            f"{result['rps']:.0f} requests/s · {result['requests']} requests · errors {result['errors']}",
            flush=True,
        )
        if restart:
            result["after_restart"] = _restart_run(label, wrk, script, port, page, sessions_file, work, restart)
    return result


def _wrk_run(wrk, script: Path, port: int, page: str, sessions_file: Path, seconds: int, back_file: str = "") -> dict:
    done = subprocess.run(  # noqa: S603
        [
            wrk,
            "-t2",
            f"-c{READERS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{page}",
            "--",
            str(sessions_file),
            back_file,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(
        r"RESULT p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) requests=(\d+) seconds=([\d.]+) "
        r"not_ok=(\d+) not_ok_after=(\d+) socket=(\d+)",
        done.stdout,
    )
    if found is None:
        sys.exit(f"wrk said nothing we could read:\n{done.stdout}\n{done.stderr}")
    p50, p95, p99, requests, took, not_ok, not_ok_after, socket_errors = found.groups()
    return {
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "requests": int(requests),
        "rps": int(requests) / float(took),
        "errors": int(not_ok) + int(not_ok_after) + int(socket_errors),
        "not_ok": int(not_ok),
        "not_ok_after": int(not_ok_after),
        "socket": int(socket_errors),
    }


def _restart_run(label, wrk, script, port, page, sessions_file, work: Path, restart: list[str]) -> int:
    """A run during which PostgreSQL restarts; returns the errors once it is back (the goal: none).
    Failed connections and time-outs cannot be placed in time by wrk: they count as after."""
    back_file = work / f"back-{label}.txt"
    back_file.unlink(missing_ok=True)
    timings = {}

    def restart_postgres() -> None:
        time.sleep(RESTART_SECONDS / 3)
        timings["down"] = time.time()
        subprocess.run(restart, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        timings["back"] = time.time()
        back_file.write_text(f"{int(timings['back'])}\n")

    restarter = threading.Thread(target=restart_postgres)
    timings["start"] = time.time()
    restarter.start()
    result = _wrk_run(wrk, script, port, page, sessions_file, RESTART_SECONDS, str(back_file))
    restarter.join()
    from django.db import connection

    connection.close()  # ours went with the old server
    after = result["not_ok_after"] + result["socket"]
    print(
        f"{label}, PostgreSQL restarted {timings['down'] - timings['start']:.0f} s into a "
        f"{RESTART_SECONDS} s run, back after {timings['back'] - timings['down']:.1f} s: "
        f"{result['requests']} requests · errors during the restart {result['not_ok']} · "
        f"errors after it {result['not_ok_after']} · failed connections and time-outs {result['socket']}",
        flush=True,
    )
    return after


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not answer /healthz within 60 s")


def _cookies(response) -> dict[str, str]:
    found = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
    return found


def _get(port: int, path: str, session: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={**PROTO, "Cookie": f"sessionid={session}"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"GET {path} answered {response.status} to a signed-in reader")
    return response


def _sign_in(port: int, username: str) -> str:
    """Sign in through the real sign-in page; returns the session's key."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/login/", headers=PROTO)
    form = connection.getresponse()
    html = form.read().decode()
    if form.status != 200 or "csrftoken" not in _cookies(form):
        sys.exit(f"/login/ answered {form.status} without a CSRF cookie: {form.getheaders()}")
    csrf_cookie = _cookies(form)["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    headers = {
        **PROTO,
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={csrf_cookie}",
        "Referer": f"https://127.0.0.1:{port}/login/",
        "Origin": f"https://127.0.0.1:{port}",
    }
    connection.request("POST", "/login/", body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    session = _cookies(answer).get("sessionid")
    if answer.status != 302 or not session:
        sys.exit(f"{username} could not sign in: {answer.status}")
    return session


def _latest_month(port: int) -> str:
    """The page / sends an executive to: the latest month's ExCo page."""
    session = _sign_in(port, "reader-000")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/", headers={**PROTO, "Cookie": f"sessionid={session}"})
    response = connection.getresponse()
    response.read()
    path = urlsplit(response.getheader("Location") or "").path
    if not re.fullmatch(r"/exco/\d{4}-\d{2}/", path):
        sys.exit(f"/ sent a reader to {path!r}, not to a month's ExCo page")
    return path


if __name__ == "__main__":
    main()
