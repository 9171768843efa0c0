"""Photos and gift returns in export and erasure: the export lists a return's photos
(not their bytes) and the gifts returned to a recipient; erasure deletes the buyer's
photos and takes the recipient's name and email off the returns made for them."""

from __future__ import annotations

from afterward import privacy
from afterward.returns.models import Return, ReturnPhoto
from tests.returns.test_photo_files import png
from tests.returns.test_photos_api import DAMAGED, upload
from tests.returns.test_privacy import export


def test_the_export_lists_a_return_s_photos_without_their_bytes(shop):
    made = shop.request(DAMAGED).json()
    photo = upload(shop, made["id"], png()).json()["photos"][0]

    [returned] = export(shop.db, shop.store.id, shop.customer_id)["returns"]["returns"]

    assert returned["photos"] == [{
        "id": photo["id"], "content_type": "image/png", "width": 40, "height": 30,
        "byte_size": photo["byte_size"], "sha256": photo["sha256"],
        "created_at": returned["photos"][0]["created_at"]}]


def test_erasing_the_buyer_deletes_their_photos_and_keeps_the_return(shop):
    made = shop.request(DAMAGED).json()
    upload(shop, made["id"], png())
    upload(shop, made["id"], png())

    with shop.db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=shop.store.id,
                                      customer_id=shop.customer_id)

    assert (rows["returns"], rows["return_lines"], rows["return_photos"]) == (1, 1, 2)
    assert shop.count(ReturnPhoto) == 0
    assert shop.count(Return) == 1


def test_a_recipient_exports_and_erases_the_gifts_returned_to_them(shop):
    made = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "changed_mind"}],
                        resolution="store_credit",
                        gift_recipient={"email": "bea@example.com", "name": "Bea"}).json()
    recipient = made["gift_customer_id"]

    [gift] = export(shop.db, shop.store.id, recipient)["returns"]["gifts_returned_to_me"]
    with shop.db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=shop.store.id, customer_id=recipient)

    assert (gift["number"], gift["gift_recipient_email"], gift["gift_recipient_name"]) == (
        made["number"], "bea@example.com", "Bea")
    assert (rows["returns"], rows["return_lines"], rows["gift_returns"]) == (0, 0, 1)
    with shop.db.reading() as session:
        rma = session.get(Return, made["id"])
        assert (rma.gift_recipient_email, rma.gift_recipient_name) == (None, None)
