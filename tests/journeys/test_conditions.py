"""The condition language: safe, total (never raises at run time), exact."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterward.journeys import conditions
from afterward.journeys.conditions import Problem

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
FACTS = {
    "order": {"total_minor": 6000, "currency": "EUR", "main_category": "coffee",
              "categories": ["coffee", "mugs"], "placed_at": datetime(2026, 3, 1, 12, tzinfo=UTC)},
    "customer": {"orders_count": 1, "email": "ada@example.com", "phone": None,
                 "birthday": date(1990, 3, 8)},
    "product": {"replenishment_days": 30},
    "payload": {"to": "delivered", "nested": {"deep": 3}},
}


def value(raw):
    problems: list[Problem] = []
    node = conditions.parse(raw, "if", problems)
    assert problems == []
    return conditions.evaluate(node, FACTS, NOW)


@pytest.mark.parametrize(("raw", "expected"), [
    ({"gte": ["order.total_minor", 5000]}, True),
    ({"lt": ["order.total_minor", 5000]}, False),
    ({"eq": ["order.currency", "EUR"]}, True),
    ({"eq": ["customer.orders_count", 1.0]}, True),
    ({"ne": ["customer.phone", None]}, False),
    ({"eq": ["customer.phone", None]}, True),
    ({"gt": ["customer.phone", 3]}, False),  # nothing compares with a missing value
    ({"gt": ["order.currency", 3]}, False),  # nor text with a number
    ({"in": ["order.main_category", ["coffee", "tea"]]}, True),
    ({"contains": ["order.categories", "mugs"]}, True),
    ({"contains": ["customer.email", "@example.com"]}, True),
    ({"exists": "customer.phone"}, False),
    ({"exists": "customer.email"}, True),
    ({"and": [{"exists": "customer.email"}, {"gte": ["order.total_minor", 100]}]}, True),
    ({"or": [{"exists": "customer.phone"}, False]}, False),
    ({"not": {"exists": "customer.phone"}}, True),
    ({"sub": ["product.replenishment_days", 5]}, 25),
    ({"div": ["order.total_minor", 0]}, None),
    ({"max": [{"sub": ["product.replenishment_days", 40]}, 1]}, 1),
    ({"lookup": ["order.main_category", {"coffee": 14, "tea": 10}, 7]}, 14),
    ({"lookup": ["customer.phone", {"coffee": 14}, 7]}, 7),
    ({"days_since": "order.placed_at"}, 9.0),
    ({"days_since": "customer.birthday"}, 13151.0),
    ({"eq": ["payload.to", "delivered"]}, True),
    ({"eq": ["payload.nested.deep", 3]}, True),
    ({"eq": [{"literal": "order.currency"}, "order.currency"]}, False),
    ({"eq": [{"var": "order.currency"}, "EUR"]}, True),
    ({"lower": {"literal": "EUR"}}, "eur"),
    ("plain text is a literal", "plain text is a literal"),
])
def test_expressions(raw, expected):
    assert value(raw) == expected


def test_unknown_fields_and_operators_are_named():
    problems: list[Problem] = []
    conditions.parse({"and": [{"gte": ["customer.ordrs", 1]}, {"regex": "x"},
                              {"eq": [1]}, {"exists": "no path"}]}, "trigger.filter", problems)

    assert [(p.path, p.message.split(" (")[0]) for p in problems] == [
        ("trigger.filter.and[0].gte[0]", "customer has no field 'ordrs'"),
        ("trigger.filter.and[1].regex", "unknown operator 'regex'"),
        ("trigger.filter.and[2].eq", "eq takes 2 operand(s), got 1"),
        ("trigger.filter.and[3].exists", "exists takes a field path"),
    ]


def test_an_expression_cannot_grow_without_bound():
    raw: object = 1
    for _ in range(40):
        raw = {"not": raw}
    problems: list[Problem] = []

    conditions.parse(raw, "if", problems)

    assert len(problems) == 1
    assert problems[0].message == "expression nested too deeply (at most 16)"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from([*sorted(conditions.OPERATORS), "var", "x", "literal"]),
                      children, max_size=2),
    max_leaves=30)


@given(json_values)
def test_anything_parses_or_is_refused_and_never_raises_when_evaluated(raw):
    problems: list[Problem] = []
    node = conditions.parse(raw, "if", problems)
    if not problems:
        conditions.evaluate(node, FACTS, NOW)
