"""Loyalty is a domain module: it reads other modules' facts from events and tables,
never their code (returns, messaging) nor the outer layers."""

from __future__ import annotations

from afterward import modules
from tests.test_modules import imports_of, package_files

FORBIDDEN = ("afterward.returns", "afterward.messaging", "afterward.api", "afterward.web",
             "afterward.cli", "afterward.insights")


def test_loyalty_imports_neither_returns_nor_messaging_nor_the_outer_layers():
    offenders = [f"{path.name}: {name}" for path in package_files("afterward.loyalty")
                 if path.name != "module.py"
                 for name in imports_of(path) if name.startswith(FORBIDDEN)]

    assert offenders == []


def test_loyalty_declares_its_events_consumer_and_periodic_pass():
    declared = next(m for m in modules.installed() if m.name == "loyalty")

    assert declared.events == ("loyalty.points_earned", "loyalty.points_redeemed",
                               "loyalty.tier_changed", "loyalty.points_expiring",
                               "loyalty.referral_created", "loyalty.referral_review",
                               "loyalty.referral_qualified", "loyalty.referral_code_issued")
    assert declared.consumers == ("afterward.loyalty.consumer:consume_behind",)
    assert declared.periodic == ("afterward.loyalty.tick:ensure_scheduled",
                                 "afterward.loyalty.code_expiry:ensure_scheduled")
