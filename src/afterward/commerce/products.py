"""Products and their variants (SKUs)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from afterward.commerce.errors import CommerceError
from afterward.commerce.models import Product, Variant
from afterward.commerce.paging import page
from afterward.commerce.schemas import ProductIn
from afterward.events import EventName, record


def upsert_product(session: Session, *, store_id: int, data: ProductIn) -> tuple[Product, bool]:
    """Variants are known by SKU: one that names a SKU already there updates it (a SKU
    twice in one body: the last wins). A SKU of another product is a 409."""
    product = None
    if data.external_id:
        product = session.scalar(select(Product).where(
            Product.store_id == store_id, Product.external_id == data.external_id))
    skus = list(dict.fromkeys(variant.sku for variant in data.variants))
    existing = {vr.sku: vr for vr in session.scalars(select(Variant).where(
        Variant.store_id == store_id, Variant.sku.in_(skus)))}
    if product is None and existing:
        product = next(iter(existing.values())).product
    for sku, known in existing.items():
        if product is not None and known.product_id != product.id:
            raise CommerceError("duplicate_sku",
                                f"SKU {sku!r} already belongs to another product", "variants",
                                409)
    created = product is None
    if product is None:
        product = Product(store_id=store_id)
        session.add(product)
    for field in ("external_id", "title", "category", "image_url", "care_content",
                  "howto_content", "replenishment_days"):
        value = getattr(data, field)
        if value is not None or created:
            setattr(product, field, value)
    for item in data.variants:
        variant: Variant | None = existing.get(item.sku)
        if variant is None:
            variant = existing[item.sku] = Variant(store_id=store_id, sku=item.sku)
            product.variants.append(variant)
        variant.external_id = item.external_id
        variant.title = item.title
        variant.price_minor = item.price_minor
        variant.currency = item.currency
        variant.image_url = item.image_url
        if item.inventory_quantity is not None:
            variant.inventory_quantity = item.inventory_quantity
    session.flush()
    record(session, store_id=store_id,
           name=EventName.product_created if created else EventName.product_updated,
           subject_type="product", subject_id=product.id, payload={"title": product.title})
    return product, created


def get_product(session: Session, *, store_id: int, product_id: int) -> Product | None:
    return session.scalar(select(Product).where(
        Product.store_id == store_id, Product.id == product_id))


def list_products(session: Session, *, store_id: int, category: str | None = None,
                  cursor: str | None = None, limit: int = 50) -> tuple[list[Product], str | None]:
    stmt = select(Product).where(Product.store_id == store_id)
    if category:
        stmt = stmt.where(Product.category == category)
    return page(session, stmt, Product.id, cursor=cursor, limit=limit)




def variant_by_sku(session: Session, *, store_id: int, sku: str) -> Variant | None:
    return session.scalar(select(Variant).where(Variant.store_id == store_id,
                                                Variant.sku == sku))


def variants_by_sku(session: Session, *, store_id: int, skus: list[str]) -> dict[str, Variant]:
    if not skus:
        return {}
    return {v.sku: v for v in session.scalars(select(Variant).where(
        Variant.store_id == store_id, Variant.sku.in_(skus))
        .options(joinedload(Variant.product)))}


def take_stock(session: Session, *, store_id: int, variant_id: int, quantity: int) -> bool:
    """Take `quantity` units out of stock in one atomic UPDATE; False when there are not
    that many. A variant whose stock is not tracked always has them."""
    taken = session.execute(update(Variant).where(
        Variant.store_id == store_id, Variant.id == variant_id,
        (Variant.inventory_quantity.is_(None)) | (Variant.inventory_quantity >= quantity))
        .values(inventory_quantity=Variant.inventory_quantity - quantity)
        .execution_options(synchronize_session=False))
    return bool(getattr(taken, "rowcount", 0))


def put_back_stock(session: Session, *, store_id: int, variant_id: int, quantity: int) -> None:
    """Units back in stock (a restocked return); an untracked variant stays untracked."""
    session.execute(update(Variant).where(
        Variant.store_id == store_id, Variant.id == variant_id,
        Variant.inventory_quantity.is_not(None))
        .values(inventory_quantity=Variant.inventory_quantity + quantity)
        .execution_options(synchronize_session=False))
