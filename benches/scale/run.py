#!/usr/bin/env python3
"""One backend's run of the scale benchmark (scripts/bench-scale.sh drives it; see there).

    run.py --bin BIN --data DIR --url DATABASE_URL --label NAME --out RESULT.json [--seconds S]
    run.py --table RESULT.json...      # the markdown table of earlier runs, side by side

Imports the shop in DIR (made by generate_shop.py) into an empty database, starts the server on
it (pinned to core 0; wrk runs on core 1), trains every model kind the server offers through
the admin API, activates the default one, and measures each route under wrk with many
different customers, products, categories and queries (never one asked over and over). Then it
starts the server again with the list cache off and measures recommendations once more. What
it measured goes to RESULT.json.

Customers are signed in with access tokens minted with the server's own JWT secret (the
benchmark starts the server, so it knows it): 1.5M sign-ins would measure the password hash.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

SECRET = "bench-scale-secret-of-at-least-32-bytes!"
ADMIN = ("admin@bench.example", "bench-admin-password")
PORT = 18961
BASE = f"http://127.0.0.1:{PORT}"


def say(msg):
    print(f"bench-scale: {msg}", file=sys.stderr, flush=True)


def call(path, method="GET", body=None, token=None, timeout=900):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(user_id, role="user"):
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": str(user_id), "role": role, "iat": now, "exp": now + 3 * 3600,
                             "jti": str(uuid.uuid4())}).encode())
    sig = hmac.new(SECRET.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(sig)}"


def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, args, env, model=True):
        """`model=False`: no model is active yet, so "ready" is the database alone (503 from
        /health/ready with the database up)."""
        self.args, self.env, self.model = args, env, model
        self.proc = None

    def start(self):
        env = dict(os.environ, RECSYS_JWT_SECRET=SECRET, RECSYS_ADMIN_EMAIL=ADMIN[0],
                   RECSYS_ADMIN_PASSWORD=ADMIN[1], RECSYS_LOG="json", **self.env)
        log = open(os.path.join(self.args.work, "server.log"), "a")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            ["taskset", "-c", "0", self.args.bin, "--database-url", self.args.url,
             "--bind", f"127.0.0.1:{PORT}", "--web-dir", os.path.join(self.args.work, "no-web")],
            env=env, stdout=log, stderr=log)
        # up: /health/live; ready: /health/ready (database and a model loaded, when one is active)
        live = None
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(BASE + "/health/live", timeout=2):
                    live = live or time.perf_counter() - t0
                with urllib.request.urlopen(BASE + "/health/ready", timeout=2):
                    return live, time.perf_counter() - t0
            except urllib.error.HTTPError as e:
                if e.code == 503 and not self.model:
                    return live, time.perf_counter() - t0
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


LUA = r"""
local lines = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  i = math.random(#lines)
end
request = function()
  i = i % #lines + 1
  local path, token = lines[i]:match("^([^\t]*)\t?(.*)$")
  if token ~= "" then
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
  end
  return wrk.format("GET", path)
end
"""


def wrk(args, name, lines, pid, connections=None):
    """wrk over LINES (each a path and an optional token, one per request, in turn)."""
    script = os.path.join(args.work, "rotate.lua")
    with open(script, "w") as f:
        f.write(LUA)
    paths = os.path.join(args.work, f"{name}.paths")
    with open(paths, "w") as f:
        f.write("\n".join(lines) + "\n")
    conns = connections or args.connections
    proc = subprocess.Popen(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{args.seconds}s",
                             "--latency", "-s", script, BASE, "--", paths],
                            stdout=subprocess.PIPE, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, rss_mb(pid))
        time.sleep(0.25)
    text = proc.stdout.read()

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", text)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    timeouts = re.search(r"timeout (\d+)", text)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "non_2xx": int(errors.group(1)) if errors else 0,
            "timeouts": int(timeouts.group(1)) if timeouts else 0, "rss_mb": peak}


def import_shop(args):
    d = args.data
    files = []
    for entity in ["categories", "products", "customers", "orders", "events"]:
        files += [f"--{entity}", os.path.join(d, f"{entity}.csv")]
    timing = os.path.join(args.work, "import.time")
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", timing, args.bin, "import",
                          "--database-url", args.url, *files], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"import failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    secs, kib = open(timing).read().split()
    report = json.loads(out.stdout.strip().splitlines()[-1])
    rows = sum(e["rows"] for e in report["entities"].values())
    return {"seconds": float(secs), "rows": rows, "rows_per_s": rows / float(secs),
            "peak_rss_mb": int(kib) / 1024, "entities": report["entities"]}


def db_size_mb(args):
    if args.url.startswith("sqlite://"):
        path = args.url[len("sqlite://"):].split("?")[0]
        return sum(os.path.getsize(p) for p in [path, path + "-wal"] if os.path.exists(p)) / 2**20
    out = subprocess.run([args.psql, args.url, "-Atc", "SELECT pg_database_size(current_database())"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 2**20


def train(token, kind, pid):
    status, run = call("/api/v1/admin/ml/train", "POST", {"model": kind}, token)
    if status != 202 and status != 200:
        raise SystemExit(f"train {kind}: {status} {run}")
    peak = 0.0
    t0 = time.perf_counter()
    while True:
        peak = max(peak, rss_mb(pid))
        _, run = call(f"/api/v1/admin/ml/runs/{run['id']}", token=token)
        if run["status"] not in ("queued", "running"):
            break
        time.sleep(0.5)
    if run["status"] != "succeeded":
        raise SystemExit(f"training {kind}: {run}")
    wall = time.perf_counter() - t0
    return run, {"seconds": wall, "rss_peak_mb": peak}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin")
    ap.add_argument("--data")
    ap.add_argument("--url")
    ap.add_argument("--label")
    ap.add_argument("--out")
    ap.add_argument("--work")
    ap.add_argument("--psql", default="psql")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--table", nargs="*")
    ap.add_argument("--serve-only", action="store_true",
                    help="the shop in --url is imported and trained already (KEEP_WORK): measure serving")
    args = ap.parse_args()
    if args.table is not None:
        return table(args.table)
    os.makedirs(args.work, exist_ok=True)
    rng = random.Random(7)
    result = {"label": args.label, "cpu": cpu()}

    if args.serve_only:
        with open(os.path.join(args.data, "customers.csv")) as f:
            customers_in_shop = sum(1 for _ in f) - 1
    else:
        customers_in_shop = import_and_train(args, result)
    serve(args, result, rng, customers_in_shop)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    table([args.out])


def import_and_train(args, result):
    """Imports the shop, trains every kind and activates the hybrid; the number of customers."""
    say(f"{args.label}: importing {args.data}")
    result["import"] = import_shop(args)
    result["db_mb"] = db_size_mb(args)
    say(f"{args.label}: imported {result['import']['rows']:,} rows in {result['import']['seconds']:.0f} s")

    server = Server(args, {}, model=False)
    try:
        live, ready = server.start()
        result["first_start_s"] = live
        pid = server.proc.pid
        result["rss_idle_no_model_mb"] = rss_mb(pid)
        _, login = call("/api/v1/auth/login", "POST", {"email": ADMIN[0], "password": ADMIN[1]})
        admin = login["access_token"]
        result["training"] = {}
        hybrid_run = None
        for kind in ["popular", "content", "als", "hybrid"]:
            say(f"{args.label}: training {kind}")
            run, measured = train(admin, kind, pid)
            _, models = call("/api/v1/admin/ml/models", token=admin)
            metrics = next(v["metrics"] for s in models for v in s["versions"]
                           if v["id"] == run["model_version_id"])
            measured["ndcg_at_10"] = metrics.get("ndcg_at_10")
            measured["train_seconds"] = metrics.get("train_seconds")
            result["training"][kind] = measured
            if kind == "hybrid":
                hybrid_run = run
        _, models = call("/api/v1/admin/ml/models", token=admin)
        version = next(v["version"] for s in models if s["name"] == "hybrid" for v in s["versions"]
                       if v["id"] == hybrid_run["model_version_id"])
        t0 = time.perf_counter()
        status, body = call(f"/api/v1/admin/ml/models/hybrid/versions/{version}/activate", "POST", token=admin)
        result["activate"] = {"seconds": time.perf_counter() - t0, "status": status}
        if status != 200:
            say(f"{args.label}: activation answered {status}: {body}; waiting for the model")
            while call("/health/ready")[0] != 200:
                time.sleep(1)
        result["rss_during_training_mb"] = max(t["rss_peak_mb"] for t in result["training"].values())
    finally:
        server.stop()
    return result["import"]["entities"]["customers"]["created"]


def serve(args, result, rng, n):
    """A start on the existing database, then wrk over each route (N customers in the shop)."""

    # served from here on: a second start on the existing database
    server = Server(args, {})
    try:
        live, ready = server.start()
        result["start_live_s"], result["start_ready_s"] = live, ready
        pid = server.proc.pid
        result["rss_idle_mb"] = rss_mb(pid)
        _, login = call("/api/v1/auth/login", "POST", {"email": ADMIN[0], "password": ADMIN[1]})
        admin = login["access_token"]
        # 5,000 customers drawn from the whole id range: the import into the empty database
        # created the customers first, so their ids are 1..n (checked on a sample: a user, and
        # one of ours), 5,000 products, every category
        customers = rng.sample(range(1, n + 1), min(5000, n))
        for c in customers[:20]:
            status, user = call(f"/api/v1/admin/users/{c}", token=admin)
            if status != 200 or user["role"] != "user" or not user["email"].endswith("@shop.example"):
                raise SystemExit(f"user {c} is not an imported customer: {status} {user}")
        tokens = [mint(c) for c in customers]
        _, cats = call("/api/v1/categories")
        categories = []

        def walk(nodes):
            for n in nodes:
                categories.append(n["id"])
                walk(n["children"])
        walk(cats)
        products = []
        for cat in rng.sample(categories, min(60, len(categories))):
            _, page = call(f"/api/v1/products?category={cat}&limit=100")
            products += [p["id"] for p in page["items"]]
        rng.shuffle(products)
        words = ["lamp", "blue kettle", "wireless", "leather jacket", "coffee", "puzzle", "bamboo",
                 "yoga mat", "ergonomic desk chair", "cozy", "perfume", "tent", "red", "novel",
                 "organic tea", "robot", "steel pan", "travel", "vintage clock", "dog bed"]
        rec = [f"/api/v1/products/recommendations?limit=10\t{t}" for t in tokens]
        routes = {
            "similar": [f"/api/v1/products/{p}/similar?limit=10" for p in products],
            "search": [f"/api/v1/search?q={w.replace(' ', '+')}&limit=20" for w in words],
            "product": [f"/api/v1/products/{p}" for p in products],
            "catalog": [f"/api/v1/products?category={c}&sort=price_asc&in_stock=true"
                        f"&min_price={lo}&max_price={lo * 4}&limit=20"
                        for c in categories for lo in (500, 2000)],
        }
        result["wrk"] = {}
        say(f"{args.label}: warm pass over {len(rec)} customers")
        wrk(args, "warm", rec, pid, connections=4)
        for name, lines in [("recs_cache_on", rec)] + list(routes.items()):
            say(f"{args.label}: wrk {name}")
            result["wrk"][name] = wrk(args, name, lines, pid)
        result["rss_peak_serving_mb"] = rss_mb(pid, "VmHWM")
    finally:
        server.stop()

    server = Server(args, {"RECSYS_LIST_CACHE_ENTRIES": "0"})
    try:
        server.start()
        say(f"{args.label}: wrk recommendations, list cache off")
        result["wrk"]["recs_cache_off"] = wrk(args, "recs_cache_off", rec, server.proc.pid)
    finally:
        server.stop()


def cpu():
    name = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = open("/proc/cpuinfo").read()
    return f"{name}, {os.cpu_count()} cores, {'AVX-512' if ' avx512f' in flags else 'no AVX-512'}"


def table(paths):
    runs = [json.load(open(p)) for p in paths]

    def row(label, f):
        cells = []
        for r in runs:
            try:
                cells.append(f(r))
            except (KeyError, TypeError):
                cells.append("–")
        print(f"| {label} | " + " | ".join(cells) + " |")

    def w(name):
        return lambda r: (f"{r['wrk'][name]['rps']:,.0f} req/s, p50 {r['wrk'][name]['p50_ms']:.2f} ms, "
                          f"p99 {r['wrk'][name]['p99_ms']:.2f} ms"
                          + (f", {r['wrk'][name]['non_2xx']} non-2xx" if r['wrk'][name]['non_2xx'] else "")
                          + (f", {r['wrk'][name]['timeouts']} timeouts" if r['wrk'][name]['timeouts'] else ""))
    print(f"CPU: {runs[0]['cpu']}\n")
    print("| | " + " | ".join(r["label"] for r in runs) + " |")
    print("| --- |" + " ---: |" * len(runs))
    row("import (all files)", lambda r: f"{r['import']['seconds']:.0f} s, {r['import']['rows_per_s']:,.0f} rows/s, "
                                         f"peak {r['import']['peak_rss_mb']:.0f} MB")
    row("database size", lambda r: f"{r['db_mb']:,.0f} MB")
    for kind in ["popular", "content", "als", "hybrid"]:
        row(f"training {kind} (evaluation included)",
            lambda r, k=kind: f"{r['training'][k]['seconds']:.1f} s, NDCG@10 {r['training'][k]['ndcg_at_10']:.4f}")
    row("activating the trained hybrid", lambda r: f"{r['activate']['seconds']:.1f} s (HTTP {r['activate']['status']})")
    row("start to ready (existing database)", lambda r: f"{r['start_ready_s']:.1f} s (live {r['start_live_s']:.1f} s)")
    row("server RSS: idle / peak while training / peak serving",
        lambda r: f"{r['rss_idle_mb']:.0f} / {r['rss_during_training_mb']:.0f} / {r['rss_peak_serving_mb']:.0f} MB")
    for name, label in [("recs_cache_on", "recommendations, rotating customers, list cache on (warm)"),
                        ("recs_cache_off", "recommendations, rotating customers, list cache off"),
                        ("similar", "similar items, rotating products"),
                        ("search", "search, 20 queries in turn"),
                        ("product", "product page, rotating products"),
                        ("catalog", "catalog page: category, price range, in stock, by price")]:
        row(label, w(name))


if __name__ == "__main__":
    main()
