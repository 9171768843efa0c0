"""The fraud signals of a referral, pure: mailboxes behind different spellings,
addresses, devices, self-referral and many referrals in a short time."""

from __future__ import annotations

from afterward.loyalty import referral_checks as checks


def signup(**changes) -> checks.SignupFacts:
    facts = {"friend_email": "bob@example.com", "referrer_email": "ada@example.com",
             "friend_has_ordered": False, "device_seen": False, "recent_by_referrer": 0,
             "review_after": 5}
    facts.update(changes)
    return checks.SignupFacts(**facts)


def test_gmail_dots_tags_case_and_googlemail_are_one_mailbox():
    spellings = ["Ada.Lovelace@gmail.com", "adalovelace+promo@GMAIL.com",
                 "a.d.a.lovelace@googlemail.com", " adalovelace@gmail.com "]

    assert {checks.mailbox(s) for s in spellings} == {"adalovelace@gmail.com"}


def test_dots_count_outside_gmail_but_tags_and_case_do_not():
    assert checks.mailbox("Ada.Lovelace+x@Example.com") == "ada.lovelace@example.com"
    assert checks.mailbox("adalovelace@example.com") != checks.mailbox("ada.lovelace@example.com")


def test_a_clean_signup_has_no_signal():
    assert checks.at_signup(signup()) == []


def test_the_referrers_own_address_is_a_self_referral():
    assert checks.at_signup(signup(friend_email="ADA@example.com")) == ["self_referral"]


def test_the_referrers_mailbox_spelt_differently_is_the_same_mailbox():
    facts = signup(friend_email="a.da+friend@googlemail.com", referrer_email="ada@gmail.com")

    assert checks.at_signup(facts) == ["same_mailbox"]


def test_a_friend_who_ordered_before_a_seen_device_and_a_busy_referrer_are_signals():
    assert checks.at_signup(signup(friend_has_ordered=True)) == ["existing_customer"]
    assert checks.at_signup(signup(device_seen=True)) == ["same_device"]
    assert checks.at_signup(signup(recent_by_referrer=4)) == []
    assert checks.at_signup(signup(recent_by_referrer=5)) == ["velocity"]


def test_addresses_compare_without_case_accents_punctuation_or_street_words():
    one = checks.address_key("Hauptstraße 5", "10115", "de")
    assert one == checks.address_key("HAUPTSTR. 5", "10 115", "DE")
    assert one == checks.address_key("Haupt Strasse 5", "10115", "DE")
    assert one != checks.address_key("Hauptstraße 7", "10115", "DE")
    assert checks.address_key("  ", "10115", "DE") is None


def test_an_order_to_the_referrers_address_or_by_the_referrer_is_a_signal():
    home = checks.address_key("1 Main Street", "02139", "US")
    facts = checks.OrderFacts(ordered_by_referrer=False, order_mailbox="bob@example.com",
                              referrer_mailbox="ada@example.com",
                              order_address=checks.address_key("1 main st.", "02139", "US"),
                              referrer_addresses=[home] if home else [])

    assert checks.at_order(facts) == ["same_address"]
    assert checks.at_order(checks.OrderFacts(True, None, None, None, [])) == ["self_referral"]
    assert checks.at_order(checks.OrderFacts(False, "ada@example.com", "ada@example.com",
                                             None, [])) == ["same_mailbox"]


def test_a_device_is_kept_only_as_a_hash_per_store():
    one = checks.device_hash(1, "203.0.113.9", "Firefox")

    assert one is not None and len(one) == 64 and "203" not in one
    assert one == checks.device_hash(1, "203.0.113.9", "Firefox ")
    assert one != checks.device_hash(2, "203.0.113.9", "Firefox")
    assert checks.device_hash(1, None, None) is None


def test_signals_are_merged_in_a_fixed_order():
    assert checks.new_signals(["velocity"], ["same_address", "self_referral"]) == [
        "self_referral", "velocity", "same_address"]


def test_an_order_paid_with_a_card_the_referrer_paid_with_is_a_signal():
    def facts(payment: str | None) -> checks.OrderFacts:
        return checks.OrderFacts(ordered_by_referrer=False, order_mailbox="bob@example.com",
                                 referrer_mailbox="ada@example.com", order_address=None,
                                 referrer_addresses=[], order_payment=payment,
                                 referrer_payments=["a1", "b2"])

    assert checks.at_order(facts("b2")) == ["same_payment"]
    assert checks.at_order(facts("c3")) == []
    assert checks.at_order(facts(None)) == []
