"""What moderation looks at, pure: flagged words (whole words, any case or accent),
links, email addresses and phone numbers; and the auto-publish rule."""

from __future__ import annotations

import pytest

from afterward.feedback.moderation import auto_publishes, flags
from afterward.feedback.settings import AutoPublish, ReviewSettings


@pytest.mark.parametrize(("text", "found"), [
    ("Lovely tea, would buy again", []),
    ("A real SCAM", ["word:scam"]),
    ("Pessimo produto", ["word:péssimo"]),
    ("scamp is a word of its own", []),
    ("total rip off!", ["word:rip off"]),
    ("see https://example.org/deal", ["link"]),
    ("buy at cheap-tea.com", ["link"]),
    ("write me at ada@example.com", ["email"]),
    ("call +49 30 1234 5678", ["phone"]),
])
def test_flags_name_each_reason_a_review_needs_a_look(text, found):
    assert flags([None, text], ["scam", "péssimo", "rip off"]) == found


def test_each_flag_is_raised_once_in_a_fixed_order():
    assert flags(["scam", "SCAM www.x.com", "scam"], ["scam"]) == ["word:scam", "link"]


@pytest.mark.parametrize(("rule", "rating", "found", "verified", "published"), [
    (AutoPublish(), 4, [], False, True),
    (AutoPublish(), 3, [], True, False),
    (AutoPublish(), 5, ["link"], True, False),
    (AutoPublish(enabled=False), 5, [], True, False),
    (AutoPublish(verified_only=True), 5, [], False, False),
    (AutoPublish(verified_only=True), 5, [], True, True),
    (AutoPublish(min_rating=1), 1, [], False, True),
])
def test_the_auto_publish_rule(rule, rating, found, verified, published):
    settings = ReviewSettings(auto_publish=rule)

    assert auto_publishes(settings, rating=rating, found=found,
                          verified_buyer=verified) is published
