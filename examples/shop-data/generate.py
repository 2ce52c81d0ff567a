#!/usr/bin/env python3
"""Writes the small example shop that docs/import.md describes and the import tests load:
10 categories (children listed before their parents on purpose), 60 products, 42 customers
(40 with the shop's ids, 2 known by e-mail only, 2 with a bcrypt hash from an old platform),
50 orders with 1-3 lines, and 1,500 events in JSON Lines. Deterministic: run it again and the
files are the same. Customers with even numbers like the tech and books aisles, odd ones home
and garden, so a model trained on the events has something to find.

    python3 examples/shop-data/generate.py [OUT_DIR]
"""
import csv
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

# bcrypt (cost 4) of "imported secret": what an old platform's export carries
BCRYPT = "$2b$04$GfxuRxrJ6VohJoBrePK9x.sxHmLxWEZCafTaAoy0n5grTdoMAwmY6"

CATEGORIES = [
    ("phones", "Phones", "tech"),
    ("laptops", "Laptops", "tech"),
    ("audio", "Audio", "tech"),
    ("tech", "Tech", ""),
    ("home", "Home", ""),
    ("kitchen", "Kitchen", "home"),
    ("garden", "Garden", "home"),
    ("books", "Books", ""),
    ("fiction", "Fiction", "books"),
    ("non-fiction", "Non-fiction", "books"),
]
LEAVES = ["phones", "laptops", "audio", "kitchen", "garden", "fiction", "non-fiction"]
TASTE = {0: ["phones", "laptops", "audio", "fiction", "non-fiction"], 1: ["kitchen", "garden"]}
ADJECTIVES = ["Compact", "Classic", "Bright", "Quiet", "Sturdy", "Light", "Smart", "Rustic"]
NOUNS = {
    "phones": "phone", "laptops": "laptop", "audio": "speaker", "kitchen": "kettle",
    "garden": "trowel", "fiction": "novel", "non-fiction": "field guide",
}
BRANDS = ["Acme", "Borealis", "Cobalt", "Dune"]
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def main(out):
    rng = random.Random(7)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "categories.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["key", "name", "parent"])
        w.writerows(CATEGORIES)

    products = []
    for i in range(1, 61):
        leaf = LEAVES[i % len(LEAVES)]
        sku = f"P{i:04d}"
        cents = rng.randrange(299, 19999)
        products.append((sku, leaf, cents))
    with open(out / "products.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["sku", "name", "description", "category", "price", "stock", "active",
                    "attributes", "created_at"])
        for n, (sku, leaf, cents) in enumerate(products):
            name = f"{rng.choice(ADJECTIVES)} {NOUNS[leaf]} {sku[1:]}"
            brand = rng.choice(BRANDS)
            w.writerow([sku, name, f"A {name.lower()} by {brand}, for the {leaf} aisle.", leaf,
                        f"{cents // 100}.{cents % 100:02d}", rng.randrange(0, 50),
                        "false" if n == 59 else "true",
                        json.dumps({"brand": brand}, separators=(",", ":")),
                        stamp(START + timedelta(days=n))])

    customers = []
    with open(out / "customers.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["external_id", "email", "name", "password_hash", "active", "created_at"])
        for i in range(1, 43):
            shop_id = f"C{i:03d}" if i <= 40 else ""
            email = f"customer{i}@shop.example"
            w.writerow([shop_id, email, f"Customer {i}", BCRYPT if i in (1, 2) else "",
                        "true", stamp(START + timedelta(hours=i))])
            customers.append((i, shop_id or email))

    by_leaf = {leaf: [p for p in products if p[1] == leaf] for leaf in LEAVES}

    def pick(i):
        return rng.choice(by_leaf[rng.choice(TASTE[i % 2])])

    with open(out / "orders.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["external_id", "customer", "status", "created_at", "sku", "quantity",
                    "unit_price"])
        for o in range(1, 51):
            i, key = customers[rng.randrange(len(customers))]
            at = stamp(START + timedelta(days=60 + o, minutes=rng.randrange(1440)))
            status = rng.choice(["delivered", "delivered", "shipped", "paid", "cancelled"])
            lines = {}
            for _ in range(rng.randrange(1, 4)):
                sku, _, cents = pick(i)
                lines[sku] = cents
            for sku, cents in lines.items():
                w.writerow([f"O{o:04d}", key, status, at, sku, rng.randrange(1, 3),
                            f"{cents // 100}.{cents % 100:02d}"])

    with open(out / "events.jsonl", "w") as f:
        for e in range(1500):
            i, key = customers[rng.randrange(len(customers))]
            sku = pick(i)[0]
            kind = rng.choice(["view"] * 6 + ["click"] * 3 + ["add_to_cart"])
            at = START + timedelta(days=30 + e // 10, seconds=rng.randrange(86400),
                                   milliseconds=rng.randrange(1000))
            record = {"customer": key, "sku": sku, "kind": kind, "at": stamp(at)}
            if kind == "add_to_cart":
                record["value"] = rng.randrange(1, 3)
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)
