#!/usr/bin/env python3
"""A synthetic shop of a real shop's size, in the importer's format (docs/import.md).

    python3 benches/scale/generate_shop.py --size full|small|tiny OUT_DIR

full: 150,000 products in a tree of 516 categories (12 departments, 6 aisles each, 6 shelves
each), 1,500,000 customers and 10,000,000 events over a year: views, clicks and cart adds in
`events.csv`, purchases as order lines in `orders.csv` (the importer stores a purchase event per
line). small is a tenth of every count (the category tree stays), tiny a hundredth.

What makes it a shop rather than noise:
- product names and descriptions are drawn from a vocabulary per department and shelf (brand,
  adjective, colour, material, the shelf's noun), so TF-IDF and search have words to find;
- item popularity is Zipf-like (rank r drawn with weight 1 / (r + 5)), customer activity is
  heavy-tailed (a Pareto weight per customer), and each customer has two favourite departments
  most of their sessions stay in;
- a session views a few products of one shelf or department, clicks some, adds some to the
  cart; a third of the sessions with cart adds end in an order of those products, so views >
  clicks > carts > purchases.

Deterministic: the same size writes the same bytes. Writes `*.part` files and renames them at
the end, so a killed run leaves no half file behind.
"""
import argparse
import bisect
import itertools
import os
import random
import sys

SIZES = {
    "full": (150_000, 1_500_000, 10_000_000),
    "small": (15_000, 150_000, 1_000_000),
    "tiny": (1_500, 15_000, 100_000),
}
START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
YEAR_MS = 365 * 86_400_000

DEPARTMENTS = {
    "electronics": ["phone", "laptop", "tablet", "camera", "speaker", "headphones", "monitor", "router"],
    "home": ["lamp", "rug", "curtain", "cushion", "mirror", "clock", "vase", "shelf"],
    "kitchen": ["kettle", "pan", "knife", "blender", "toaster", "mug", "pot", "grater"],
    "garden": ["trowel", "hose", "planter", "rake", "shears", "lantern", "bench", "seed kit"],
    "books": ["novel", "cookbook", "atlas", "biography", "field guide", "poetry collection", "thriller", "comic"],
    "toys": ["puzzle", "robot", "doll", "kite", "board game", "train set", "plush bear", "building set"],
    "sports": ["ball", "racket", "yoga mat", "dumbbell", "bicycle helmet", "running shoe", "tent", "water bottle"],
    "fashion": ["jacket", "scarf", "sneaker", "dress", "shirt", "belt", "hat", "backpack"],
    "beauty": ["shampoo", "serum", "lipstick", "perfume", "brush", "lotion", "soap", "nail polish"],
    "grocery": ["coffee", "tea", "chocolate", "olive oil", "pasta", "honey", "granola", "spice mix"],
    "pets": ["dog bed", "cat tree", "leash", "aquarium", "bird feeder", "chew toy", "litter box", "collar"],
    "office": ["notebook", "pen", "desk chair", "stapler", "whiteboard", "planner", "desk lamp", "folder"],
}
AISLES = ["essentials", "premium", "outdoor", "compact", "classic", "kids"]
SHELVES = ["new", "bestsellers", "eco", "travel", "gift", "pro"]
ADJECTIVES = ("bright quiet sturdy light smart rustic modern vintage soft bold sleek cozy "
              "rugged elegant playful gentle crisp warm cool fresh tiny grand swift calm").split()
COLOURS = "red blue green black white grey yellow orange purple teal navy olive coral ivory".split()
MATERIALS = "wood steel cotton glass bamboo leather wool ceramic linen aluminium silk stone".split()
WORDS = ("durable handmade recycled waterproof lightweight portable adjustable washable "
         "rechargeable foldable ergonomic organic sustainable compact wireless reusable "
         "everyday weekend holiday family travel outdoor indoor studio daily seasonal "
         "design quality comfort style performance value warranty edition collection series "
         "finish texture pattern grip fit size shape colour scent flavour sound screen battery "
         "fabric blend frame handle base lid cover case strap sole lining").split()
SYLLABLES = "ka lo mi ren tor vi sa nu pe ar el dun bri co fa lux or zen qui ta".split()
FIRST_NAMES = ("Ann Ben Cleo Dan Eva Finn Gia Hugo Ines Jon Kira Leo Mia Nils Olga Paul Rosa "
               "Sam Tia Uma Vik Wen Yara Zoe").split()


def pareto_weights(rng, n, alpha):
    return [rng.paretovariate(alpha) for _ in range(n)]


def cumulative(weights):
    return list(itertools.accumulate(weights))


def stamp(ms):
    return str(ms)


class Writer:
    """A file written as `name.part` and renamed when closed without error."""

    def __init__(self, path, header):
        self.path = path
        self.f = open(path + ".part", "w", buffering=1 << 20)
        self.f.write(header + "\n")

    def write(self, lines):
        self.f.write("".join(lines))

    def close(self):
        self.f.close()
        os.replace(self.path + ".part", self.path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=SIZES, default="small")
    ap.add_argument("out")
    args = ap.parse_args()
    n_products, n_customers, n_events = SIZES[args.size]
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(20261206)

    # categories: department > aisle > shelf; products sit on shelves
    cats = Writer(os.path.join(args.out, "categories.csv"), "key,name,parent")
    shelves = []  # (key, department)
    for dep in DEPARTMENTS:
        cats.write([f"{dep},{dep.capitalize()},\n"])
        for aisle in AISLES:
            akey = f"{dep}-{aisle}"
            cats.write([f"{akey},{aisle.capitalize()} {dep},{dep}\n"])
            for shelf in SHELVES:
                skey = f"{akey}-{shelf}"
                cats.write([f"{skey},{shelf.capitalize()} {aisle} {dep},{akey}\n"])
                shelves.append((skey, dep))
    cats.close()

    brands = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 4))).capitalize()
                     for _ in range(3000)})
    deps = list(DEPARTMENTS)
    # products: popularity rank is a random permutation of the catalog, weight 1 / (rank + 5)
    prods = Writer(os.path.join(args.out, "products.csv"),
                   "sku,name,description,category,price_cents,stock,attributes,created_at")
    product_shelf = []
    product_dep = []
    batch = []
    for p in range(n_products):
        s = rng.randrange(len(shelves))
        skey, dep = shelves[s]
        noun = rng.choice(DEPARTMENTS[dep])
        brand = rng.choice(brands)
        adj, colour, material = rng.choice(ADJECTIVES), rng.choice(COLOURS), rng.choice(MATERIALS)
        name = f"{brand} {adj.capitalize()} {colour} {noun}"
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(12, 40)))
        description = (f"A {adj} {material} {noun} by {brand} in {colour}, from our "
                       f"{skey.replace('-', ' ')} range: {words}.")
        base = {"electronics": 30000, "home": 6000, "grocery": 1200, "books": 1800}.get(dep, 4000)
        price = max(99, int(rng.lognormvariate(0, 0.6) * base))
        stock = 0 if rng.random() < 0.05 else rng.randrange(1, 500)
        created = START_MS - rng.randrange(2 * YEAR_MS)
        attrs = f'"{{""brand"":""{brand}"",""colour"":""{colour}"",""material"":""{material}""}}"'
        batch.append(f"P{p:06d},{name},\"{description}\",{skey},{price},{stock},{attrs},{stamp(created)}\n")
        product_shelf.append(s)
        product_dep.append(deps.index(dep))
        if len(batch) == 10_000:
            prods.write(batch)
            batch = []
    prods.write(batch)
    prods.close()

    rank = list(range(n_products))
    rng.shuffle(rank)
    popularity = [1.0 / (rank[p] + 5) for p in range(n_products)]
    by_shelf = [[] for _ in shelves]
    by_dep = [[] for _ in deps]
    for p in range(n_products):
        by_shelf[product_shelf[p]].append(p)
        by_dep[product_dep[p]].append(p)
    shelf_cum = [cumulative([popularity[p] for p in ps]) for ps in by_shelf]
    dep_cum = [cumulative([popularity[p] for p in ps]) for ps in by_dep]
    shelves_of_dep = [[s for s, (_, d) in enumerate(shelves) if d == dep] for dep in deps]

    def pick(items, cum):
        return items[bisect.bisect_left(cum, rng.random() * cum[-1])]

    # customers, with an activity weight (heavy-tailed) and two favourite departments
    custs = Writer(os.path.join(args.out, "customers.csv"), "external_id,email,name,created_at")
    batch = []
    for c in range(n_customers):
        created = START_MS - rng.randrange(3 * YEAR_MS)
        batch.append(f"C{c:07d},c{c}@shop.example,{rng.choice(FIRST_NAMES)} {c},{stamp(created)}\n")
        if len(batch) == 50_000:
            custs.write(batch)
            batch = []
    custs.write(batch)
    custs.close()
    activity = cumulative(pareto_weights(rng, n_customers, 1.2))
    favourites = [(rng.randrange(len(deps)), rng.randrange(len(deps))) for _ in range(n_customers)]

    # sessions until the events (purchases counted) reach the size
    events = Writer(os.path.join(args.out, "events.csv"), "customer,sku,kind,at")
    orders = Writer(os.path.join(args.out, "orders.csv"),
                    "external_id,customer,status,created_at,sku,quantity")
    written = 0
    n_orders = 0
    ev_batch, order_batch = [], []
    while written < n_events:
        c = bisect.bisect_left(activity, rng.random() * activity[-1])
        cust = f"C{c:07d}"
        dep = favourites[c][rng.random() < 0.3] if rng.random() < 0.85 else rng.randrange(len(deps))
        shelf = rng.choice(shelves_of_dep[dep])
        at = START_MS + rng.randrange(YEAR_MS - 3_600_000)
        length = min(1 + int(rng.expovariate(1 / 4)), 30)
        carted = []
        for _ in range(length):
            if rng.random() < 0.6:
                p = pick(by_shelf[shelf], shelf_cum[shelf])
            else:
                p = pick(by_dep[dep], dep_cum[dep])
            sku = f"P{p:06d}"
            at += rng.randrange(5_000, 120_000)
            ev_batch.append(f"{cust},{sku},view,{at}\n")
            written += 1
            r = rng.random()
            if r < 0.25:
                ev_batch.append(f"{cust},{sku},click,{at + 1_000}\n")
                written += 1
            if r < 0.08:
                ev_batch.append(f"{cust},{sku},add_to_cart,{at + 2_000}\n")
                written += 1
                if sku not in carted:
                    carted.append(sku)
        if carted and rng.random() < 0.35:
            n_orders += 1
            at += 300_000
            status = "cancelled" if rng.random() < 0.03 else "delivered"
            for sku in carted:
                qty = 1 if rng.random() < 0.85 else rng.randrange(2, 5)
                order_batch.append(f"O{n_orders:08d},{cust},{status},{at},{sku},{qty}\n")
                written += 1
        if len(ev_batch) >= 100_000:
            events.write(ev_batch)
            orders.write(order_batch)
            ev_batch, order_batch = [], []
            print(f"\r{written:,} / {n_events:,} events", end="", file=sys.stderr)
    events.write(ev_batch)
    orders.write(order_batch)
    events.close()
    orders.close()
    print(f"\r{written:,} events, {n_orders:,} orders in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
