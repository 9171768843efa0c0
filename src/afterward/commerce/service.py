"""Commerce use cases, one import away. Each takes a session and never commits;
the implementations live in customers.py, products.py, orders.py and sales.py."""

from afterward.commerce.customers import (
    customer_exists,
    find_customer,
    get_customer,
    list_customers,
    refresh_customer_stats,
    refresh_customers_stats,
    save_customer,
    set_consent,
    upsert_customer,
)
from afterward.commerce.errors import CommerceError
from afterward.commerce.orders import (
    OrderMeta,
    RefundLine,
    apply_refund,
    cancel_order,
    create_order_document,
    get_order,
    list_orders,
    load_order,
    order_by_external_id,
    order_by_number,
    order_document,
    save_order,
    write_order,
)
from afterward.commerce.paging import decode_cursor, encode_cursor, page
from afterward.commerce.products import (
    get_product,
    list_products,
    put_back_stock,
    take_stock,
    upsert_product,
    variant_by_sku,
    variants_by_sku,
)
from afterward.commerce.sales import SalesOverTime, sales_over_time
from afterward.commerce.stores import lock_store

__all__ = [
    "CommerceError",
    "OrderMeta",
    "RefundLine",
    "SalesOverTime",
    "apply_refund",
    "cancel_order",
    "create_order_document",
    "customer_exists",
    "decode_cursor",
    "encode_cursor",
    "find_customer",
    "get_customer",
    "get_order",
    "get_product",
    "list_customers",
    "list_orders",
    "list_products",
    "load_order",
    "lock_store",
    "order_by_external_id",
    "order_by_number",
    "order_document",
    "page",
    "put_back_stock",
    "refresh_customer_stats",
    "refresh_customers_stats",
    "sales_over_time",
    "save_customer",
    "save_order",
    "set_consent",
    "take_stock",
    "upsert_customer",
    "upsert_product",
    "variant_by_sku",
    "variants_by_sku",
    "write_order",
]
