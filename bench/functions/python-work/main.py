"""The benchmark's Python work handler: a 4 KiB JSON order list in, a small report out.

Served by `ferrite run bench/functions/python-work` (also under `--runtime pypy`), with
body.json posted as `application/octet-stream`, so `event.body` is the raw bytes and the
parse is the handler's own work, not the SDK's (it decodes `application/json` bodies
itself). The report is the same for the same body: answer.json is what body.json gives,
and bench/run checks every server's answer against it before measuring.
"""

import json
from collections import Counter, defaultdict

TOP = 5


def report(orders):
    """Totals per customer, tag, product family and day; the largest orders; note words."""
    revenue = 0
    totals = []
    customers = defaultdict(lambda: [0, 0])  # name -> [cents, orders]
    tags = defaultdict(lambda: [0, 0])  # tag -> [orders, cents]
    families = Counter()  # SKU prefix -> units
    days = Counter()  # YYYY-MM-DD -> cents
    words = Counter()
    for order in orders:
        total = 0
        for line in order["lines"]:
            total += line["qty"] * line["cents"]
            families[line["sku"].split("-", 1)[0]] += line["qty"]
        if order.get("coupon"):
            total -= total * order["coupon"] // 100
        revenue += total
        totals.append((total, order["id"]))
        customer = customers[order["customer"].strip().lower()]
        customer[0] += total
        customer[1] += 1
        for tag in order["tags"]:
            tags[tag][0] += 1
            tags[tag][1] += total
        days[order["placed"][:10]] += total
        for word in order["note"].lower().split():
            word = word.strip(".,;:!?\"'()")
            if len(word) > 3:
                words[word] += 1
    totals.sort(key=lambda pair: (-pair[0], pair[1]))
    ranked = sorted(customers.items(), key=lambda item: (-item[1][0], item[0]))
    return {
        "orders": len(orders),
        "revenue_cents": revenue,
        "top_orders": [[order_id, total] for total, order_id in totals[:TOP]],
        "top_customers": [[name, cents, count] for name, (cents, count) in ranked[:TOP]],
        "tags": {tag: tags[tag] for tag in sorted(tags)},
        "units_per_family": dict(sorted(families.items())),
        "cents_per_day": dict(sorted(days.items())),
        "top_words": [
            [word, count]
            for word, count in sorted(words.items(), key=lambda item: (-item[1], item[0]))[:TOP]
        ],
    }


def handler(context, event):
    # No body (bench/run's readiness probe is a GET): no orders. A dict is answered as
    # application/json.
    return report(json.loads(event.body)["orders"] if event.body else [])
