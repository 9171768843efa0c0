"""The returns portal's steps: the resolution, the confirmation with its amounts, and
the confirm that makes the return through returns.service. Every bad input gives a
readable message in the shopper's language and records nothing; a confirm form sent
twice makes one return."""

from __future__ import annotations

from datetime import timedelta

import pytest

from afterward.returns.models import Return
from afterward.storage.types import utcnow
from tests.returns.conftest import make_shop, stock
from tests.returns.test_photo_files import png
from tests.web.portal_steps import Portal, action, fields, pending_tokens, problem

MUG = {"MUG-1": (1, "too_small")}


@pytest.fixture
def portal(client, db, store) -> Portal:
    return Portal(make_shop(client, db, store))


def test_the_resolution_page_offers_what_the_policy_allows_with_amounts(portal):
    page = portal.review(MUG)

    assert page.status_code == 200
    assert "€12.00 back" in page.text
    assert "€13.20 in store credit, including a bonus of €1.20" in page.text
    assert ('name="exchange_for_sku" value="MUG-3" checked>\n        <label for="exchange-1">'
            'Mug, Large (€15.00)<br><span class="muted">You pay €3.00</span>') in page.text
    assert 'value="MUG-2"' not in page.text  # out of stock
    assert 'value="keep"' not in page.text  # keep_max_value_minor is 0


def test_the_confirmation_shows_the_amounts_fee_deadline_and_how_to_send_it_back(portal):
    portal.shop.put_policy(fees_minor={"refund": 200})

    page = portal.check(MUG, "refund")

    assert page.status_code == 200
    assert "<dt>What you return is worth</dt><dd>€12.00</dd>" in page.text
    assert "<dt>Return fee</dt><dd>\u2212€2.00</dd>" in page.text
    assert "<dt>Refund to your original payment</dt><dd>€10.00</dd>" in page.text
    assert "<dt>Return window ends</dt>" in page.text
    assert "print the label or show its QR code" in page.text
    assert portal.nothing_recorded()


def test_an_exchange_confirmation_shows_the_difference_to_pay(portal):
    page = portal.check(MUG, "exchange", "MUG-3")

    assert "<dt>You receive</dt><dd>1 \u00d7 Mug, Large</dd>" in page.text
    assert "<dt>You pay the difference</dt><dd>€3.00</dd>" in page.text


def test_confirming_makes_the_return_as_the_api_does_and_shows_its_status(portal):
    page = portal.confirm({"TEA-1": (2, "changed_mind")}, "store_credit")

    assert page.status_code == 200
    assert page.url.path.startswith("/returns/r/")
    [rma] = portal.returns()
    assert (rma.status, rma.resolution, rma.value_minor, rma.bonus_minor,
            rma.credit_minor) == ("approved", "store_credit", 900, 90, 990)
    assert f"Return {rma.number}" in page.text


def test_a_confirm_form_sent_twice_makes_one_return(portal):
    url, body = portal.confirm_form(MUG)

    first = portal.client.post(url, data=body, follow_redirects=False)
    second = portal.client.post(url, data=body, follow_redirects=False)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert portal.shop.count(Return) == 1


def test_a_key_sent_again_with_other_choices_is_refused_and_changes_nothing(portal):
    url, body = portal.confirm_form(MUG)
    portal.client.post(url, data=body)

    page = portal.client.post(url, data=body | {"resolution": "store_credit"})

    assert page.status_code == 422
    assert problem(page.text) == ("This form was already sent with other choices. "
                                  "Please start again.")
    assert [r.resolution for r in portal.returns()] == ["refund"]


def test_prices_and_order_numbers_in_the_form_are_not_believed(portal):
    url, body = portal.confirm_form(MUG)
    ids = portal.line_ids()

    portal.client.post(url, data=body | {f"price_{ids['MUG-1']}": "1", "value_minor": "1",
                                         "order_number": "9999", "order_id": "12345"})

    [rma] = portal.returns()
    assert (rma.order_id, rma.value_minor, rma.refund_minor) == (portal.shop.order_id,
                                                                 1200, 1200)


@pytest.mark.parametrize(("field", "value"), [("qty_99999", "1"), ("qty_{MUG}", "abc"),
                                              ("qty_{MUG}", "-1"), ("qty_x", "1")])
def test_a_line_or_quantity_changed_by_hand_is_refused_at_every_step(portal, field, value):
    mug = portal.line_ids()["MUG-1"]
    url, body = portal.confirm_form(MUG)

    page = portal.client.post(url, data=body | {field.format(MUG=mug): value})

    assert page.status_code == 400
    assert problem(page.text) == "This form was changed and cannot be used. Please start again."
    assert portal.nothing_recorded()


def test_a_forged_order_link_in_the_form_action_records_nothing(portal):
    url, body = portal.confirm_form(MUG)
    forged = url.replace("/returns/o/", "/returns/o/x")

    page = portal.client.post(forged, data=body)

    assert page.status_code == 404
    assert portal.nothing_recorded()


def test_more_than_can_be_returned_is_refused(portal):
    url, body = portal.choices({"TEA-1": (3, "too_large")})

    page = portal.client.post(url, data=body)

    assert page.status_code == 422
    assert problem(page.text) == "You chose more of an item than can be returned."
    assert portal.nothing_recorded()


def test_an_item_already_being_returned_is_refused_the_second_time(portal):
    portal.confirm(MUG)
    url, body = portal.choices(MUG)

    page = portal.client.post(url, data=body | {f"qty_{portal.line_ids()['MUG-1']}": "1"})

    assert page.status_code == 422
    assert problem(page.text) == "This item is already being returned."
    assert portal.shop.count(Return) == 1


def test_a_final_sale_item_is_refused(portal):
    url, body = portal.choices({"CUP-1": (1, "other")})
    portal.shop.put_policy(final_sale_skus=["CUP-1"])

    page = portal.client.post(url, data=body)

    assert page.status_code == 422
    assert problem(page.text) == "This item cannot be returned."
    assert portal.nothing_recorded()


def test_a_window_that_closed_before_the_confirm_is_refused(portal):
    url, body = portal.confirm_form(MUG)
    portal.shop.deliver(utcnow() - timedelta(days=31))

    page = portal.client.post(url, data=body)

    assert page.status_code == 422
    assert problem(page.text) == "The return window for this order has closed."
    assert portal.nothing_recorded()


@pytest.mark.parametrize(("sku", "message"), [
    ("NOPE", "Choose an item to exchange for from the list."),
    ("MUG-2", "That item is out of stock. Please choose another.")])
def test_an_unknown_or_sold_out_exchange_item_is_refused(portal, sku, message):
    url, body = portal.confirm_form(MUG, "exchange", "MUG-3")

    page = portal.client.post(url, data=body | {"exchange_for_sku": sku})

    assert page.status_code == 422
    assert problem(page.text) == message
    assert portal.nothing_recorded()
    assert stock(portal.shop, "MUG-2") == 0


def test_an_unknown_exchange_item_is_refused_before_the_confirmation(portal):
    page = portal.check(MUG, "exchange", "NOPE")

    assert page.status_code == 422
    assert problem(page.text) == "Choose an item to exchange for from the list."


@pytest.mark.parametrize("resolution", ["keep", "teleport", ""])
def test_a_resolution_the_policy_does_not_offer_is_refused(portal, resolution):
    page = portal.check(MUG, resolution)

    assert page.status_code == 422
    assert problem(page.text) == "This option is not available for this return."
    assert portal.nothing_recorded()


@pytest.mark.parametrize("reason", ["<script>", "", "teleported"])
def test_a_reason_not_on_the_list_is_refused(portal, reason):
    url, body = portal.choices({"MUG-1": (1, reason)})

    page = portal.client.post(url, data=body)

    assert page.status_code == 422
    assert problem(page.text) == "Choose a reason for each item from the list."


def test_choosing_nothing_asks_for_an_item(portal):
    url, body = portal.choices({})

    page = portal.client.post(url, data=body)

    assert page.status_code == 422
    assert problem(page.text) == "Choose at least one item to return."


def test_a_form_without_its_csrf_cookie_changes_nothing(portal):
    url, body = portal.confirm_form(MUG)
    portal.client.cookies.clear()

    page = portal.client.post(url, data=body)

    assert page.status_code == 403
    assert problem(page.text) == ("This form had expired, so nothing was changed. "
                                  "Please make your choices again.")
    assert portal.nothing_recorded()


def test_a_refusal_speaks_the_shoppers_language(portal):
    page = portal.start(lang="de")
    url, body = portal.choices({"TEA-1": (3, "too_large")}, page=page)

    answer = portal.client.post(url, data=body)

    assert url.endswith("?lang=de")
    assert problem(answer.text) == ("Sie haben von einem Artikel mehr gewählt, als "
                                    "zurückgegeben werden kann.")


def test_each_step_carries_the_choices_to_the_next(portal):
    page = portal.review({"CUP-1": (2, "damaged")}, comment="Chipped <rim>",
                         photos={"CUP-1": [png()]})
    cup = portal.line_ids()["CUP-1"]
    [photo] = pending_tokens(portal)

    assert fields(page.text) | {"csrf": ""} == {
        "csrf": "", f"qty_{cup}": "2", f"reason_{cup}": "damaged",
        f"comment_{cup}": "Chipped <rim>", f"photos_{cup}": photo}
    assert action(page.text).endswith("/check")


def test_an_exchange_is_made_for_the_chosen_variant_with_its_difference(portal):
    page = portal.confirm(MUG, "exchange", "MUG-3")

    [rma] = portal.returns()
    assert (rma.resolution, rma.exchange_for_sku, rma.exchange_minor,
            rma.difference_minor) == ("exchange", "MUG-3", 1500, 300)
    assert "<dt>You pay the difference</dt><dd>€3.00</dd>" in page.text


def test_a_cheap_item_can_be_kept_and_the_return_is_done_at_once(portal):
    portal.shop.put_policy(resolutions=["refund", "keep"], keep_max_value_minor=500)

    page = portal.confirm({"CUP-1": (1, "damaged")}, "keep", photos={"CUP-1": [png()]})

    [rma] = portal.returns()
    assert (rma.status, rma.resolution, rma.refund_minor) == ("resolved", "keep", 300)
    assert '<h1 id="return-heading">Done</h1>' in page.text
    assert "Keep the item: there is nothing to send back." in page.text
    assert "/returns/labels/" not in page.text


def test_lines_that_share_no_resolution_are_told_so_before_the_confirmation(portal):
    portal.shop.put_policy(rules=[{"name": "tea only as credit", "when": {"skus": ["TEA-1"]},
                                   "then": {"remove_resolutions": ["refund", "exchange"]}},
                                  {"name": "cups only as refund", "when": {"skus": ["CUP-1"]},
                                   "then": {"remove_resolutions": ["store_credit"]}}])

    page = portal.review({"TEA-1": (1, "other"), "CUP-1": (1, "other")})

    assert page.status_code == 422
    assert problem(page.text) == "This option is not available for this return."
    assert portal.nothing_recorded()


@pytest.mark.parametrize("step", ["review", "check", "confirm", "x/y"])
def test_a_steps_language_link_starts_again_at_the_items_in_that_language(portal, step):
    url, _ = portal.choices(MUG)
    items = url.removesuffix("/review")

    answer = portal.client.get(f"{items}/{step}?lang=fr", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"{items}?lang=fr"
    assert "Que souhaitez-vous retourner ?" in portal.client.get(answer.headers["location"]).text


def test_after_a_refusal_the_items_page_keeps_the_shoppers_choices(portal):
    url, body = portal.choices({"TEA-1": (3, "too_large"), "CUP-1": (2, "damaged")},
                               comment="Chipped <rim>")
    ids = portal.line_ids()

    page = portal.client.post(url, data=body)

    assert problem(page.text) == "You chose more of an item than can be returned."
    assert '<option value="2" selected>2</option>' in page.text  # the cups
    assert '<option value="damaged" selected>Arrived damaged</option>' in page.text
    assert (f'name="comment_{ids["CUP-1"]}" rows="2" maxlength="2000">Chipped &lt;rim&gt;'
            "</textarea>") in page.text
