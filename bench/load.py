"""Load: many signed-in executives reading the ExCo page at once, served as docker-compose serves it.

For each size (S: seed_demo --initiatives 20; L: --initiatives 500 --months 36), built afresh in
its own database:

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

Printed per size: p50, p95 and p99 latency, requests per second, errors; then each goal as met
or not: p95 ≤ 300 ms, ≥ 200 requests/s, 0 errors. Client and server share the machine's cores
(2 here): wrk's two threads take some of what gunicorn could use, so the figures are a floor.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database: all scoreboard data in it is
replaced; the per-size siblings are dropped at the end), else a throwaway cluster is started.
See bench/_db.py. READERS, SECONDS and SIZES (e.g. "S,L") may be set in the environment.
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
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import _db

READERS = int(os.environ.get("READERS", "50"))
SECONDS = int(os.environ.get("SECONDS", "30"))
# (label, --initiatives, --months or None for seed_demo's default)
ALL_SIZES = {"S": (20, None), "L": (500, 36)}
SIZES = [s.strip() for s in os.environ.get("SIZES", "S,L").split(",") if s.strip()]
PASSWORD = "bench-load-password"  # the readers' one password, on a scratch database only  # noqa: S105
GOAL_P95_MS = 300
GOAL_RPS = 200
PROTO = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of gunicorn says

# Each request takes the next reader's session; a non-200 answer is counted per thread.
LUA = r"""
local sessions, threads = {}, {}
local next_one = 0
bad = 0  -- a global: done() reads each thread's with thread:get
function setup(thread) table.insert(threads, thread) end
function init(args)
  for line in io.lines(args[1]) do table.insert(sessions, line) end
  next_one = math.random(#sessions)
end
function request()
  next_one = next_one % #sessions + 1
  return wrk.format("GET", nil, {["Cookie"] = "sessionid=" .. sessions[next_one], ["X-Forwarded-Proto"] = "https"})
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do not_ok = not_ok + thread:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT p50=%.3f p95=%.3f p99=%.3f requests=%d seconds=%.3f not_ok=%d socket=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.duration / 1e6, not_ok, e.connect + e.read + e.write + e.timeout))
end
"""


def main() -> None:
    redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
    url = _db.setup()
    wrk = _wrk()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    _db.describe_machine()
    print(f"readers: {READERS}, {SECONDS} s per size; gunicorn: 3 workers; cache and broker: {redis_url or 'none'}")
    scratch = connection.settings_dict["NAME"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as work:
        static_root = Path(work) / "static"
        # DEBUG off means the manifest storage: gunicorn's {% static %} needs the collected files.
        with override_settings(STATIC_ROOT=static_root):
            call_command("collectstatic", interactive=False, verbosity=0)
        for label in SIZES:
            initiatives, months = ALL_SIZES[label]
            database = f"{scratch}_load_{label.lower()}"
            _create(database)
            try:
                database_url = _build(url, database, initiatives, months)
                results[label] = _run(label, wrk, database_url, redis_url, Path(work), static_root)
            finally:
                _drop(database)
    print()
    print(f"goal: p95 ≤ {GOAL_P95_MS} ms, ≥ {GOAL_RPS} requests/s, 0 errors, at {READERS} concurrent readers")
    failed = False
    for label, r in results.items():
        verdicts = {
            "p95": r["p95"] <= GOAL_P95_MS,
            "requests/s": r["rps"] >= GOAL_RPS,
            "errors": r["errors"] == 0,
        }
        print(f"  {label}: " + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in verdicts.items()))
        failed |= r["errors"] > 0
    if failed:
        sys.exit(1)


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)  # noqa: S607
        return shutil.which("wrk") or sys.exit("wrk did not install")
    sys.exit("The load benchmark needs wrk: sudo apt-get install wrk")


def _create(database: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
        cursor.execute(f'CREATE DATABASE "{database}"')


def _drop(database: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _build(url: str, database: str, initiatives: int, months: int | None) -> str:
    """The demo company of this size, in its own database, with READERS executives to sign in."""
    parts = urlsplit(url)
    database_url = parts._replace(path=f"/{database}").geturl()
    env = {**os.environ, "DATABASE_URL": database_url}
    args = ["--initiatives", str(initiatives), "--replace"] + (["--months", str(months)] if months else [])
    started = time.perf_counter()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=_db.ROOT)  # noqa: S603
    subprocess.run([*manage, "seed_demo", *args], env=env, check=True, cwd=_db.ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    readers = f"""
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from scoreboard.models import Role, User
password = make_password({PASSWORD!r})
users = User.objects.bulk_create(
    [User(username=f"reader-{{n:03d}}", first_name="Reader", last_name=str(n), password=password)
     for n in range({READERS})]
)
Group.objects.get(name=Role.EXECUTIVE.value).user_set.add(*users)
"""
    subprocess.run([*manage, "shell", "-c", readers], env=env, check=True, cwd=_db.ROOT)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*manage, "dbshell", "--", "-c", "VACUUM ANALYZE"], env=env, check=True, cwd=_db.ROOT, stdout=subprocess.DEVNULL
    )
    print(f"\n{database}: built in {time.perf_counter() - started:.0f} s", flush=True)
    return database_url


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


def _run(label, wrk, database_url, redis_url, work: Path, static_root: Path) -> dict:
    script = work / "load.lua"
    script.write_text(LUA)
    with _gunicorn(label, database_url, redis_url, work, static_root) as port:
        page = _latest_month(port)
        sessions = [_sign_in(port, f"reader-{n:03d}") for n in range(READERS)]
        sessions_file = work / f"sessions-{label}.txt"
        sessions_file.write_text("\n".join(sessions) + "\n")
        for session in sessions:  # each worker warms up (connections, templates) before the timed run
            _get(port, page, session)
        done = subprocess.run(  # noqa: S603
            [
                wrk,
                "-t2",
                f"-c{READERS}",
                f"-d{SECONDS}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}{page}",
                "--",
                str(sessions_file),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    found = re.search(
        r"RESULT p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) requests=(\d+) seconds=([\d.]+) not_ok=(\d+) socket=(\d+)",
        done.stdout,
    )
    if found is None:
        sys.exit(f"wrk said nothing we could read:\n{done.stdout}\n{done.stderr}")
    p50, p95, p99, requests, seconds, not_ok, socket_errors = found.groups()
    result = {
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "rps": int(requests) / float(seconds),
        "errors": int(not_ok) + int(socket_errors),
    }
    print(
        f"{label}: {page} · p50 {result['p50']:.0f} ms · p95 {result['p95']:.0f} ms · p99 {result['p99']:.0f} ms · "
        f"{result['rps']:.0f} requests/s · {requests} requests · errors {result['errors']}",
        flush=True,
    )
    return result


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
