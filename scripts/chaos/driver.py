"""`make chaos`: checkouts and renewals on PostgreSQL while processes die.

Two `serve` and two `worker` processes share one PostgreSQL database. Customers buy
(each checkout retried under its Idempotency-Key until it gets an answer) and pay on the
sandbox's hosted page with test cards that succeed, decline, never notify, or notify
three times out of order; the sandbox itself fails or times out a share of its calls
(KINOBILL__SANDBOX__CHAOS). Meanwhile a random process is killed with SIGKILL every few
seconds and started again, and PostgreSQL is restarted once. Then the test clock moves a
month so the workers renew the saved cards, still under fire. Finally everything is let
settle and the books are checked: `server audit` clean, no payment confirmed by the
provider but not by us, no invoice paid twice, no payment refunded twice.

Standard library only. Run by scripts/chaos.sh, which prepares PostgreSQL and the env.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

BIN = os.environ["CHAOS_BIN"]
PG_RESTART = os.environ["CHAOS_PG_RESTART"]
DB_URL = os.environ["DATABASE_URL"]
SECRET = os.environ["KINOBILL__AUTH__JWT_SECRET"]
CHECKOUTS = int(os.environ.get("CHAOS_CHECKOUTS", "2000"))
CUSTOMERS = int(os.environ.get("CHAOS_CUSTOMERS", "800"))
RENEWALS = int(os.environ.get("CHAOS_RENEWALS", "500"))
THREADS = int(os.environ.get("CHAOS_THREADS", "12"))
SEED = int(os.environ.get("CHAOS_SEED", "7"))
PORTS = [int(p) for p in os.environ["CHAOS_PORTS"].split(",")]

rng = random.Random(SEED)
stats_lock = threading.Lock()
stats: dict[str, int] = {}


def count(name: str, n: int = 1) -> None:
    with stats_lock:
        stats[name] = stats.get(name, 0) + n


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- processes


class Proc:
    def __init__(self, name: str, args: list[str], env: dict[str, str]):
        self.name, self.args, self.env = name, args, env
        self.p: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            log_file = open(f"{os.environ['CHAOS_WORK']}/{self.name}.log", "ab")
            self.p = subprocess.Popen(self.args, env=self.env, stdout=log_file, stderr=log_file)

    def kill(self) -> None:
        with self.lock:
            if self.p and self.p.poll() is None:
                self.p.send_signal(signal.SIGKILL)
                self.p.wait()

    def alive(self) -> bool:
        return self.p is not None and self.p.poll() is None


def env_for(port: int | None) -> dict[str, str]:
    env = dict(os.environ)
    if port is not None:
        env["KINOBILL__SERVER__ADDR"] = f"127.0.0.1:{port}"
        env["KINOBILL__SERVER__PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        env["KINOBILL__WORKER__ENABLED"] = "false"
    return env


servers = [Proc(f"serve-{p}", [BIN, "serve"], env_for(p)) for p in PORTS]
workers = [Proc(f"worker-{i}", [BIN, "worker"], env_for(None)) for i in (1, 2)]
everyone = servers + workers


def ready(port: int, timeout: float = 60) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(0.2)
    return False


def live_port() -> int:
    alive = [PORTS[i] for i, s in enumerate(servers) if s.alive()] or PORTS
    return rng.choice(alive)


# ---------------------------------------------------------------- HTTP


def jwt(sub: str) -> str:
    b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()  # noqa: E731
    h = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = b(json.dumps({"sub": sub, "exp": int(time.time()) + 86400 * 90, "email": f"{sub[:8]}@chaos.example"}).encode())
    s = b(hmac.new(SECRET.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
    return f"{h}.{p}.{s}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(method: str, port: int, path: str, body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def persist(what: str, attempt) -> tuple[int, bytes] | None:  # noqa: ANN001
    """Repeats `attempt(port)` through dead processes and 5xx until it answers."""
    for n in range(120):
        try:
            status, body = attempt(live_port())
        except Exception:
            count(f"{what}_connection_retries")
            time.sleep(0.25 + 0.05 * n)
            continue
        if status >= 500 or status == 409:
            count(f"{what}_retries_{status}")
            time.sleep(0.25 + 0.05 * n)
            continue
        return status, body
    count(f"{what}_gave_up")
    return None


CARDS = (
    ["4242424242424242"] * 14
    + ["4000000000000259"] * 2  # succeeds; its webhook thrice, out of order, with a late pending
    + ["4000000000000341"] * 2  # succeeds; no webhook at all (only reconciliation finds it)
    + ["4000000000000002"] * 2  # declined
)


def checkout(customer: str, tariff: str, months: int) -> None:
    token = jwt(customer)
    key = str(uuid.uuid4())
    body = json.dumps({"tariff_id": tariff, "months": months, "save_payment_method": True}).encode()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "application/json"}
    answer = persist("checkout", lambda port: call("POST", port, "/api/v1/checkout", body, headers))
    if answer is None:
        return
    status, raw = answer
    if status != 201:
        try:
            code = json.loads(raw)["error"]["code"]
        except Exception:  # noqa: BLE001
            code = str(status)
        count(f"checkout_refused_{code}")
        return
    count("checkouts_created")
    created = json.loads(raw)
    url = created["payment"].get("confirmation_url") or ""
    if rng.random() < 0.05 or "/sandbox/pay/" not in url:
        count("checkouts_abandoned")
        return
    path = urllib.parse.urlparse(url).path
    card = rng.choice(CARDS)
    form = urllib.parse.urlencode({"card_number": card}).encode()
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    paid = persist("pay", lambda port: call("POST", port, path, form, form_headers))
    if paid is not None:
        count(f"paid_with_{card[-4:]}")


def run_load() -> None:
    tariffs = json.loads(persist("tariffs", lambda port: call("GET", port, "/api/v1/tariffs"))[1])["data"]
    customers = [str(uuid.uuid4()) for _ in range(CUSTOMERS)]
    # Each customer keeps to one tariff: a repeat purchase extends it (another tariff
    # while one runs is refused by the rules and would not be a checkout).
    tariff_of = {c: rng.choice(tariffs)["id"] for c in customers}
    jobs: queue.Queue = queue.Queue()
    for i in range(CHECKOUTS):
        # Every customer buys once first; later checkouts are repeat buyers (extensions,
        # and checkouts that replace one still open).
        customer = customers[i] if i < len(customers) else rng.choice(customers)
        jobs.put((customer, tariff_of[customer], 1))

    def work() -> None:
        while True:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                checkout(*job)
            except Exception as e:  # noqa: BLE001
                count("driver_errors")
                log(f"driver error: {e!r}")
            done = CHECKOUTS - jobs.qsize()
            if done % 200 == 0:
                log(f"{done}/{CHECKOUTS} checkouts sent")

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---------------------------------------------------------------- chaos


stop_chaos = threading.Event()


def chaos_monkey(restart_postgres_after: float) -> None:
    started = time.time()
    postgres_restarted = False
    while not stop_chaos.wait(rng.uniform(2.0, 6.0)):
        victim = rng.choice(everyone)
        victim.kill()
        count("sigkills")
        time.sleep(rng.uniform(0.3, 2.0))
        victim.start()
        if not postgres_restarted and time.time() - started > restart_postgres_after:
            log("restarting PostgreSQL (immediate: in-flight transactions die)")
            subprocess.run([PG_RESTART], check=True, capture_output=True)
            postgres_restarted = True
            count("postgres_restarts")


def psql(sql: str) -> str:
    return subprocess.run(["psql", DB_URL, "-XAtc", sql], check=True, capture_output=True, text=True).stdout.strip()


def admin_token() -> str:
    out = subprocess.run([BIN, "staff", "token", "--email", "admin@kinobill.local"], env=env_for(None),
                         check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def advance(token: str, duration: str) -> None:
    body = json.dumps({"advance": duration}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    answer = persist("clock", lambda port: call("POST", port, "/api/v1/admin/clock", body, headers))
    if answer is None or answer[0] != 200:
        raise SystemExit(f"moving the test clock failed: {answer}")


def renewals_paid() -> int:
    return int(psql("SELECT count(*) FROM invoices WHERE kind = 'renewal' AND status = 'paid'") or 0)


def main() -> int:
    t0 = time.time()
    for proc in everyone:
        proc.start()
    for port in PORTS:
        if not ready(port):
            raise SystemExit(f"serve on {port} did not start")
    token = admin_token()

    monkey = threading.Thread(target=chaos_monkey, args=(float(os.environ.get("CHAOS_PG_RESTART_AFTER", "40")),))
    monkey.start()
    log(f"load: {CHECKOUTS} checkouts by {CUSTOMERS} customers, {THREADS} at a time")
    run_load()
    log(f"checkouts done in {time.time() - t0:.0f}s; now a month passes so saved cards are renewed")

    # Periods end a month after purchase: move day by day past the renewal points (a
    # second month if one cycle is not enough), so the workers charge the saved cards
    # while processes keep dying.
    deadline = time.time() + float(os.environ.get("CHAOS_RENEWAL_WAIT", "900"))
    advance(token, "P27D")
    while renewals_paid() < RENEWALS and time.time() < deadline:
        advance(token, "P1D")
        time.sleep(8)
        log(f"renewals paid so far: {renewals_paid()}")

    stop_chaos.set()
    monkey.join()
    for proc in everyone:
        if not proc.alive():
            proc.start()
    for port in PORTS:
        ready(port)
    log("chaos over; letting reconciliation and the outbox settle")
    # Reconciliation looks at payments pending for 10 minutes; an abandoned page is
    # canceled after a day. Move time so both happen, then wait for the workers.
    for step in ["PT15M", "PT15M", "P1D", "PT1H"]:
        advance(token, step)
        time.sleep(10)
    for _ in range(60):
        pending = int(psql("SELECT count(*) FROM payments WHERE status = 'pending'") or 0)
        refunds = int(psql("SELECT count(*) FROM refunds WHERE status = 'pending'") or 0)
        outbox = int(psql("SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL") or 0)
        if pending == 0 and refunds == 0 and outbox == 0:
            break
        log(f"settling: {pending} payments and {refunds} refunds pending, {outbox} messages waiting")
        advance(token, "PT15M")
        time.sleep(5)

    for proc in everyone:
        proc.kill()

    audit = subprocess.run([BIN, "audit"], env=env_for(None), capture_output=True, text=True)
    lost = int(psql(
        "SELECT count(*) FROM sandbox_payments sp JOIN payments p ON p.provider_payment_id = sp.id "
        "WHERE sp.status = 'succeeded' AND p.status NOT IN ('succeeded', 'refunded')") or 0)
    unknown = int(psql(
        "SELECT count(*) FROM sandbox_payments sp WHERE sp.status = 'succeeded' "
        "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.provider_payment_id = sp.id)") or 0)
    double = int(psql(
        "SELECT count(*) FROM (SELECT p.invoice_id FROM payments p JOIN sandbox_payments sp "
        "ON sp.id = p.provider_payment_id WHERE sp.status = 'succeeded' AND sp.refunded_minor = 0 "
        "GROUP BY p.invoice_id HAVING count(*) > 1) d") or 0)
    refunded_twice = int(psql(
        "SELECT count(*) FROM (SELECT payment_id FROM refunds GROUP BY payment_id HAVING count(*) > 1) d") or 0)
    over_refunded = int(psql("SELECT count(*) FROM sandbox_payments WHERE refunded_minor > amount_minor") or 0)
    figures = {
        "elapsed_s": round(time.time() - t0),
        "payments": psql("SELECT status || '=' || count(*) FROM payments GROUP BY status ORDER BY status").replace("\n", " "),
        "renewals_paid": renewals_paid(),
        "refunds": psql("SELECT count(*) FROM refunds"),
        "lost_confirmations": lost,
        "provider_payments_unknown_to_us": unknown,
        "double_charges": double,
        "payments_refunded_twice": refunded_twice,
        "refunds_over_amount": over_refunded,
        "audit_exit": audit.returncode,
    }
    with stats_lock:
        figures.update(sorted(stats.items()))
    print(json.dumps(figures, indent=2))
    if audit.returncode != 0:
        print(audit.stdout, audit.stderr)
    ok = (audit.returncode == 0 and lost == 0 and unknown == 0 and double == 0 and refunded_twice == 0
          and over_refunded == 0 and figures["renewals_paid"] >= RENEWALS
          and stats.get("checkouts_created", 0) >= CHECKOUTS * 0.9)
    print("CHAOS: clean" if ok else "CHAOS: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        stop_chaos.set()
        for proc in everyone:
            proc.kill()
