"""Mixed shop traffic against a running recsys-server for a while (scripts/soak.sh runs it).

Customers come in sessions of 5 to 30 requests: they browse, open products, search, get
recommendations, record events, fill carts and check out, from keep-alive connections on several
threads at a steady total rate (`--rate`, a busy shop's, not the most the server can take: the
figures are latencies, not queues). A session is one of the demo's 943 customers or, one time in
five, a new customer signing up, so many different customers are served and no one customer's
history grows beyond a shop's. Half-way through, an admin trains the served model and activates
the new version. The run is cut into windows; per window it prints requests, server errors,
recommendation latency (p50, p99) and the server's RSS.

The warm-up runs the same traffic, with a first training run and activation, until the list
cache has turned its generations twice (`recsys_list_cache_turns_total`: after the first turn
it still grows from half its bound to all of it; after the second its memory is at its bound)
and that training has ended: at least a quarter of the run and at most half of it; its figures are printed but not judged. A shop trains again and again, so its
steady state includes what one training leaves behind (the allocator's high-water mark, SQLite's
page caches filled by reading every event); a second training that left as much again would be
a leak, and the RSS check after the middle training catches it. It fails (exit 1) when any answer is a 5xx, when the RSS at the end is more than
10% above the RSS after the warm-up, or when the recommendations' p99 of the last window is more
than twice that of the first window after the warm-up (the p99 must stay steady, not creep up).

    python3 scripts/lib/soak.py --port 18940 --pid PID --seconds 120
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time

ADMIN = ("admin@demo.recsys.dev", "demo-admin-password")
CUSTOMER_PASSWORD = "demo-shopper"
WORDS = ["star", "love", "war", "man", "night", "story", "life", "king", "city", "dead"]


class Client:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def call(self, method, path, token=None, body=None):
        """(status, the JSON answer or None)."""
        status, raw = self.raw(method, path, token, body)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def raw(self, method, path, token=None, body=None):
        """(status, the answer's bytes)."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, raw
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.errors = []  # (status, request)
        self.rec_ms = []

    def add(self, status, what, rec_ms=None):
        with self.lock:
            self.requests += 1
            if status >= 500:
                self.errors.append((status, what))
            if rec_ms is not None:
                self.rec_ms.append(rec_ms)

    def take(self):
        with self.lock:
            out = (self.requests, list(self.errors), self.rec_ms)
            self.requests, self.errors, self.rec_ms = 0, [], []
            return out


def login(client, email, password):
    status, body = client.call("POST", "/api/v1/auth/login", body={"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"soak: signing in {email} answered {status}: {body}")
    return body["access_token"]


def shopper(port, tokens, products, stats, stop, seed, interval_s):
    rng = random.Random(seed)
    client = Client(port)
    next_at = time.monotonic()
    session_left = 0
    while not stop.is_set():
        # one request per interval, whatever the last one cost
        next_at += interval_s
        time.sleep(max(0.0, next_at - time.monotonic()))
        if session_left == 0:
            session_left = rng.randint(5, 30)
            if rng.random() < 0.2:
                email = f"soak-{seed}-{rng.getrandbits(48):x}@example.com"
                status, body = client.call(
                    "POST", "/api/v1/auth/register", body={"email": email, "password": "soak-password-1"}
                )
                stats.add(status, "register")
                token = body["access_token"] if status == 201 else rng.choice(tokens)
            else:
                token = rng.choice(tokens)
        session_left -= 1
        action = rng.random()
        if action < 0.25:
            started = time.perf_counter()
            status, _ = client.call("GET", "/api/v1/products/recommendations?limit=10", token)
            stats.add(status, "recommendations", (time.perf_counter() - started) * 1000)
        elif action < 0.50:
            offset = rng.randrange(0, max(1, len(products) - 20))
            status, _ = client.call("GET", f"/api/v1/products?limit=20&offset={offset}")
            stats.add(status, "products")
        elif action < 0.62:
            status, _ = client.call("GET", f"/api/v1/products/{rng.choice(products)}")
            stats.add(status, "product")
        elif action < 0.75:
            q = rng.choice(WORDS)
            status, _ = client.call("GET", f"/api/v1/search?q={q}&limit=10", token)
            stats.add(status, "search")
        elif action < 0.90:
            events = [
                {"product_id": rng.choice(products), "kind": rng.choice(["view", "click"])}
                for _ in range(rng.randint(1, 3))
            ]
            status, _ = client.call("POST", "/api/v1/events", token, {"events": events})
            stats.add(status, "events")
        else:
            status, _ = client.call(
                "PUT", f"/api/v1/cart/items/{rng.choice(products)}", token, {"quantity": 1}
            )
            stats.add(status, "cart")
            if status < 300 and rng.random() < 0.5:
                status, _ = client.call("POST", "/api/v1/orders", token, {})
                stats.add(status, "checkout")


def list_cache(client):
    """The server's list cache from /metrics: (turns of its generations, lists kept, MiB)."""
    _, text = client.raw("GET", "/metrics")
    found = {}
    for line in text.decode().splitlines():
        name, _, value = line.partition(" ")
        if name.startswith("recsys_list_cache_") and "{" not in name:
            found[name] = float(value.split()[0])
    return (
        found.get("recsys_list_cache_turns_total", 0.0),
        found.get("recsys_list_cache_entries", 0.0),
        found.get("recsys_list_cache_bytes", 0.0) / 2**20,
    )


def cache_turns(client):
    """How often the server's list cache has turned its generations."""
    return list_cache(client)[0]


def find_version(node, version_id):
    """The `version` number of the model version with this id, anywhere in a JSON answer."""
    if isinstance(node, dict):
        if node.get("id") == version_id and "version" in node:
            return node["version"]
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = find_version(child, version_id)
            if found is not None:
                return found
    return None


def train_and_activate(port, model, stats):
    """Trains `model`, waits for the run and activates the version it made; returns a summary."""
    client = Client(port)
    token = login(client, *ADMIN)
    started = time.monotonic()
    status, run = client.call("POST", "/api/v1/admin/ml/train", token, {"model": model})
    stats.add(status, "train")
    if status != 202:
        return f"training {model} answered {status}: {run}"
    while run["status"] in ("queued", "running"):
        time.sleep(0.5)
        status, run = client.call("GET", f"/api/v1/admin/ml/runs/{run['id']}", token)
        stats.add(status, "run")
    if run["status"] != "succeeded":
        return f"the training run ended {run['status']}: {run.get('error')}"
    status, models = client.call("GET", "/api/v1/admin/ml/models", token)
    version = find_version(models, run["model_version_id"])
    status, answer = client.call(
        "POST", f"/api/v1/admin/ml/models/{model}/versions/{version}/activate", token, {}
    )
    stats.add(status, "activate")
    took = time.monotonic() - started
    return f"trained {model} version {version} and activated it ({status}) in {took:.1f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server's process id (RSS)")
    parser.add_argument("--seconds", type=float, default=1200)
    parser.add_argument("--windows", type=int, default=0, help="default: one per minute, at least 8")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rate", type=float, default=400, help="requests per second in all")
    parser.add_argument("--customers", type=int, default=943, help="the demo has 943")
    parser.add_argument("--warmup", type=float, default=0.25, help="least share of the run (0.25)")
    parser.add_argument("--model", default="hybrid", help="the model trained half-way")
    parser.add_argument(
        "--rss-limit", type=float, default=0.10, help="RSS growth allowed after the warm-up (0.10)"
    )
    args = parser.parse_args()
    warmup_s = args.seconds * args.warmup

    client = Client(args.port)
    status, page = client.call("GET", "/api/v1/products?limit=100")
    total = page["total"] if isinstance(page, dict) and "total" in page else 100
    products = []
    for offset in range(0, min(total, 2000), 100):
        _, page = client.call("GET", f"/api/v1/products?limit=100&offset={offset}")
        products += [p["id"] for p in page["items"]]
    # the demo's customers are customer<MovieLens id>@demo.recsys.dev, ids from 1
    tokens = [
        login(client, f"customer{i}@demo.recsys.dev", CUSTOMER_PASSWORD)
        for i in range(1, args.customers + 1)
    ]
    # warm-up: every customer's list once, every catalog page once
    for token in tokens:
        client.call("GET", "/api/v1/products/recommendations?limit=10", token)
    for offset in range(0, len(products), 20):
        client.call("GET", f"/api/v1/products?limit=20&offset={offset}")
    print(
        f"soak: {len(products)} products, {len(tokens)} demo customers and new sign-ups, "
        f"{args.threads} threads at {args.rate:.0f} requests/s, {args.seconds:.0f} s; training "
        f"`{args.model}` half-way after the warm-up",
        flush=True,
    )

    stats = Stats()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=shopper,
            args=(args.port, tokens, products, stats, stop, seed, args.threads / args.rate),
        )
        for seed in range(args.threads)
    ]
    for t in threads:
        t.start()
    training = {}
    trainer = None
    rows = []
    errors = []
    run_started = time.monotonic()
    warm_training = {}
    warm_trainer = threading.Thread(
        target=lambda: warm_training.update(result=train_and_activate(args.port, args.model, stats))
    )
    warm_trainer.start()
    try:
        # the warm-up: until the list cache has turned twice and the first training has ended,
        # between 25% and 50% of the run
        while True:
            time.sleep(1)
            elapsed = time.monotonic() - run_started
            warm = cache_turns(client) >= 2 and not warm_trainer.is_alive()
            if elapsed >= args.seconds * 0.5 or (elapsed >= warmup_s and warm):
                break
        print(f"soak: warm-up: {warm_training.get('result', 'the training has not ended')}")
        warmup_s = time.monotonic() - run_started
        windows = args.windows or max(8, round((args.seconds - warmup_s) / 60))
        window_s = (args.seconds - warmup_s) / windows
        requests, warm_errors, rec_ms = stats.take()
        errors += warm_errors
        print(
            f"warm-up ({warmup_s:6.0f} s): {requests:7d} requests ({requests / warmup_s:6.0f}/s), "
            f"{len(warm_errors)} 5xx, recommendations p50 {percentile(rec_ms, 0.5):7.2f} ms p99 "
            f"{percentile(rec_ms, 0.99):7.2f} ms, RSS {rss_bytes(args.pid) / 2**20:7.1f} MiB; "
            f"list cache turned {cache_turns(client):.0f} times",
            flush=True,
        )
        started = time.monotonic()
        for w in range(windows):
            if w == windows // 2:
                trainer = threading.Thread(
                    target=lambda: training.update(result=train_and_activate(args.port, args.model, stats))
                )
                trainer.start()
            time.sleep(max(0.0, started + (w + 1) * window_s - time.monotonic()))
            requests, window_errors, rec_ms = stats.take()
            errors += window_errors
            rss = rss_bytes(args.pid)
            rows.append((requests, len(window_errors), percentile(rec_ms, 0.5), percentile(rec_ms, 0.99), rss))
            turns, lists, lists_mib = list_cache(client)
            print(
                f"window {w + 1:3d} ({warmup_s + (w + 1) * window_s:6.0f} s): {requests:7d} requests "
                f"({requests / window_s:6.0f}/s), {len(window_errors)} 5xx, recommendations "
                f"p50 {rows[-1][2]:7.2f} ms p99 {rows[-1][3]:7.2f} ms, RSS {rss / 2**20:7.1f} MiB "
                f"(list cache {lists:.0f} lists, {lists_mib:.1f} MiB, {turns:.0f} turns)",
                flush=True,
            )
    finally:
        stop.set()
        for t in threads:
            t.join()
        warm_trainer.join()
        if trainer:
            trainer.join()
    print(f"soak: {training.get('result', 'no training run')}")

    failures = []
    if errors:
        failures.append(f"{len(errors)} answers were 5xx, e.g. {errors[:5]}")
    for result in (warm_training.get("result"), training.get("result")):
        if "activated it (200)" not in (result or ""):
            failures.append(f"a training and activation did not succeed: {result}")
    rss_warm, rss_end = rows[0][4], rows[-1][4]
    growth = rss_end / rss_warm - 1
    print(
        f"soak: RSS after the warm-up (end of window 1) {rss_warm / 2**20:.1f} MiB, at the end "
        f"{rss_end / 2**20:.1f} MiB ({growth:+.1%})"
    )
    if growth > args.rss_limit:
        failures.append(
            f"RSS grew {growth:+.1%} from the first window to the last (limit {args.rss_limit:+.0%})"
        )
    p99_first, p99_last = rows[0][3], rows[-1][3]
    print(f"soak: recommendations p99 first window {p99_first:.2f} ms, last {p99_last:.2f} ms")
    if p99_last > 2 * p99_first:
        failures.append(f"the recommendations' p99 rose from {p99_first:.2f} ms to {p99_last:.2f} ms")
    for f in failures:
        print(f"soak: FAILED: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
