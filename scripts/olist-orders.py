"""Write Olist's orders (../shared/data/olist) as Afterward's orders CSV, so that
`afterward insights eval-recs --format native` can score recommenders on them.

    python scripts/olist-orders.py ../shared/data/olist out.csv [--by product|category]

Customers by `customer_unique_id` (as `<id>@olist.invalid`), one row per order item,
`placed_at` the purchase time (Sao Paulo, -03:00), `sku` the product id or its
category (English name). Orders without items are left out. Olist's data is
CC BY-NC-SA 4.0: keep the output out of the repository."""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def main(folder: Path, out: Path, by: str) -> None:
    def rows(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    unique = {r["customer_id"]: r["customer_unique_id"]
              for r in rows("olist_customers_dataset.csv")}
    english = {r["product_category_name"]: r["product_category_name_english"]
               for r in rows("product_category_name_translation.csv")}
    category = {r["product_id"]: english.get(r["product_category_name"],
                                             r["product_category_name"] or "unknown")
                for r in rows("olist_products_dataset.csv")}
    orders = {r["order_id"]: r for r in rows("olist_orders_dataset.csv")}
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_number", "placed_at", "currency", "email", "sku", "title",
                         "quantity", "unit_price"])
        lines = sorted(rows("olist_order_items_dataset.csv"),
                       key=lambda r: (r["order_id"], int(r["order_item_id"])))
        for line in lines:
            order = orders.get(line["order_id"])
            if order is None or order["customer_id"] not in unique:
                continue
            kind = category.get(line["product_id"], "unknown")
            writer.writerow([
                line["order_id"],
                order["order_purchase_timestamp"].replace(" ", "T") + "-03:00", "BRL",
                f"{unique[order['customer_id']]}@olist.invalid",
                line["product_id"] if by == "product" else kind, kind, 1, line["price"]])


if __name__ == "__main__":
    args = sys.argv[1:]
    by = "product"
    if "--by" in args:
        at = args.index("--by")
        by = args[at + 1]
        del args[at:at + 2]
    if len(args) != 2 or by not in ("product", "category"):
        sys.exit(__doc__)
    main(Path(args[0]), Path(args[1]), by)
