"""Check-digit algorithms used by carrier tracking numbers. Pure functions over
ASCII digit strings; each returns the expected check digit."""

from __future__ import annotations

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def mod10_31(digits: str) -> int:
    """GS1 / IMpb / SSCC: weights 3, 1, 3, ... from the rightmost digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def ups(body: str) -> int:
    """UPS 1Z: the 15 characters after "1Z"; letters count as (ord - 63) mod 10,
    every second character doubled."""
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return (10 - total % 10) % 10


def fedex_express(serial: str) -> int:
    """FedEx Express (12 and 34 digits): weights 1, 3, 7 from the right, mod 11 mod 10."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(serial)))
    return total % 11 % 10


def mod7(digits: str) -> int:
    """DHL Express air waybills: the number before the check digit, mod 7."""
    return int(digits) % 7


def s10(serial: str) -> int:
    """UPU S10: eight digits weighted 8, 6, 4, 2, 3, 5, 9, 7; 11 - sum mod 11,
    where 10 becomes 0 and 11 becomes 5."""
    total = sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def identcode(digits: str) -> int:
    """Deutsche Post / DHL Paket Identcode and Leitcode: weights 4, 9 alternating."""
    total = sum(int(d) * (4 if i % 2 == 0 else 9) for i, d in enumerate(digits))
    return (10 - total % 10) % 10
