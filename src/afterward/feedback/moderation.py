"""What moderation looks at, pure: the flags a review's words raise (a flagged word,
a link, an email address or a phone number: a review is not an advert) and whether
the store's auto-publish rule lets it through at once."""

from __future__ import annotations

import re
import unicodedata

from afterward.feedback.settings import ReviewSettings

_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|shop|de|fr|br)\b",
                   re.IGNORECASE)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+?\d[\s./-]?){8,}")


def _folded(text: str) -> str:
    """Lower case without accents, so "Péssimo" is found as "pessimo"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def flags(texts: list[str | None], flagged_words: list[str]) -> list[str]:
    """`word:<w>` for each flagged word found as a whole word (or phrase), `link`,
    `email`, `phone`; in that order, each once."""
    joined = "\n".join(t for t in texts if t)
    folded = _folded(joined)
    found = [f"word:{word}" for word in flagged_words
             if re.search(rf"(?<!\w){re.escape(_folded(word))}(?!\w)", folded)]
    if _EMAIL.search(joined):
        found.append("email")
    elif _LINK.search(joined):
        found.append("link")
    if _PHONE.search(joined):
        found.append("phone")
    return found


def auto_publishes(settings: ReviewSettings, *, rating: int, found: list[str],
                   verified_buyer: bool) -> bool:
    rule = settings.auto_publish
    return (rule.enabled and rating >= rule.min_rating and not found
            and (verified_buyer or not rule.verified_only))
