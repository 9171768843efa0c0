"""Sentiment by lexicon: VADER (vaderSentiment) with words and phrases added, a score in
[-1, 1] for one text. Pure and shared: insights scores reviews with the review lexicon
below (insights/text.py), the assistant scores a shopper's message with its own words
(assistant/sentiment.py); neither imports the other.

A phrase becomes one token before VADER reads the text, so VADER's own negation and
intensity rules ("not", "very", capitals, "!!!") still apply around it. VADER's word
list is English: for another language a lexicon starts empty (`english=False`), so
that "die" (German "the") or "hat" is not read as an English word.

vaderSentiment is in the `models` extra: `available()` says whether it is installed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

# Review language VADER's general lexicon lacks: phrases become one token each (so
# VADER's own negation and intensity rules still apply around them), words are added.
PHRASES: tuple[tuple[str, float], ...] = (
    (r"waste of (?:my )?(?:money|time)", -2.8),
    (r"(?:do not|don't|dont|would not|wouldn't|would never|will never|won't) "
     r"(?:buy|recommend|order|purchase)(?: (?:it|this|again|from them))*", -2.4),
    (r"not worth (?:it|the (?:money|price)|a penny)", -2.4),
    (r"(?:broke|broken|cracked|fell apart|stopped working|died|quit working|tore|ripped)"
     r" (?:after|within|in) ", -2.4),
    (r"fell apart", -2.2),
    (r"stopped working", -2.2),
    (r"(?:returned|returning|sent) (?:it|them|this|these) back", -2.0),
    (r"(?:returned|returning) (?:it|them|this|these)", -1.8),
    (r"(?:want|wanted|asked for|asking for|still waiting for|waiting on) (?:a |my )?"
     r"(?:refund|money back)", -2.2),
    (r"(?:arrived|came|delivered|showed up) (?:\w+ )?(?:late|damaged|broken|crushed|"
     r"dented|opened|wet|scratched)", -2.0),
    (r"(?:never|still not|has not|hasn't|didn't|did not) (?:arrived|arrive|came|come|"
     r"received|receive|shipped|got it|showed up)", -2.4),
    (r"wrong (?:size|item|colou?r|product|one)", -1.6),
    (r"(?:runs|run|way too|much too|too) (?:small|large|big|tight|short|long)", -1.0),
    (r"cheaply made", -2.0),
    (r"poor(?:ly)? (?:quality|made|fit|stitching)", -2.0),
    (r"(?:customer )?service (?:was )?(?:awful|terrible|useless|rude)", -2.4),
    (r"no (?:response|reply|answer)", -1.6),
    (r"(?:worth|worth every) (?:every )?(?:penny|cent)", 2.6),
    (r"highly recommend(?:ed)?", 2.8),
    (r"would (?:definitely |totally )?(?:buy|order) (?:it |this |again|from them)+", 2.2),
    (r"(?:buy|buying|order|ordering) (?:another|more|again)", 1.8),
    (r"(?:exceeded|beyond) (?:my |all )?expectations", 2.6),
    (r"(?:as|exactly as) (?:described|pictured|advertised|shown)", 1.6),
    (r"fits (?:perfectly|great|well|like a glove|true to size)", 2.2),
    (r"true to size", 1.4),
    (r"(?:arrived|came|delivered) (?:early|quickly|fast|on time|ahead of schedule|"
     r"next day|in perfect condition)", 1.8),
    (r"five stars|5 stars", 2.6),
    (r"(?:one|1) star", -2.4),
    (r"does the (?:job|trick)", 1.4),
    (r"so far so good", 1.4),
    (r"works (?:great|perfectly|well|fine|like a charm)", 2.0),
    (r"(?:does not|doesn't|didn't|did not|won't|will not) work", -2.2),
    (r"(?:not|never) as (?:described|pictured|advertised|shown)", -2.2),
    (r"too good to be true", -0.8),
    (r"save your money", -2.4),
    (r"(?:don't|dont|do not) (?:bother|waste)", -2.2),
    (r"rip[- ]?off", -2.4),
    (r"(?:zero|0|no) stars?", -2.8),
    (r"back (?:it|they) (?:go|goes|went)", -1.8),
    (r"(?:still|been) waiting", -1.6),
    (r"(?:went|gone|going) downhill", -1.8),
    (r"(?:falls|falling|fall) apart", -2.2),
    (r"you get what you pay for", -1.2),
    (r"(?:can't|cannot|couldn't) fault", 2.2),
    (r"(?:couldn't|could not|can't|cannot) be happier", 2.8),
    (r"could be better", -0.6),
    (r"no (?:complaints|issues|problems)(?: at all| so far)?", 1.8),
    (r"life[- ]?(?:changing|saver)", 2.4),
    (r"does (?:exactly )?what it (?:says|should|promises)", 1.4),
)
WORDS: dict[str, float] = {
    "returned": -1.2, "returning": -1.2, "refund": -1.2, "refunded": -0.8, "return": -0.6,
    "flimsy": -1.8, "cheaply": -1.4, "ripped": -1.6, "rips": -1.4, "leaks": -1.6,
    "leaked": -1.6, "leaking": -1.6, "junk": -2.4, "garbage": -2.4, "trash": -2.0,
    "overpriced": -1.6, "late": -0.8, "scratched": -1.2, "scratches": -1.0, "tore": -1.4,
    "cracked": -1.6, "dented": -1.2, "crushed": -1.4, "faded": -1.0, "peeling": -1.4,
    "pilling": -1.2, "shrank": -1.4, "shrunk": -1.4, "stained": -1.2, "wobbly": -1.2,
    "rusted": -1.6, "rusty": -1.4, "smelly": -1.4, "stiff": -0.6, "itchy": -1.2,
    "unusable": -2.2, "unreliable": -1.8, "mediocre": -1.2, "meh": -0.8, "lukewarm": -0.4,
    "misleading": -1.8, "counterfeit": -2.4, "fake": -2.0, "knockoff": -2.0,
    "sturdy": 1.6, "durable": 1.6, "comfy": 1.8, "cozy": 1.8, "snug": 0.6, "decent": 0.9,
    "roomy": 1.0, "soft": 1.0, "crisp": 1.0, "flawless": 2.6, "flawlessly": 2.6,
    "reliable": 1.6, "spotless": 1.6, "fast": 0.8, "quickly": 0.6, "promptly": 1.0,
    "sturdier": 1.0, "well-made": 2.0, "solid": 1.2, "must-have": 2.4, "lifesaver": 2.4,
    "gamechanger": 2.4, "game-changer": 2.4, "obsessed": 1.8, "pricey": -0.6,
}
_TOKEN_PREFIX = "zzphrase"


@dataclass(frozen=True)
class Lexicon:
    analyzer: Any  # vaderSentiment's SentimentIntensityAnalyzer, words added
    phrases: re.Pattern[str] | None  # every phrase, one group each
    tokens: tuple[str, ...]  # the token of group i + 1

    def one(self, text: str) -> float:
        """VADER's compound score of the text, in [-1, 1]."""
        lowered = text.lower().replace("\u2019", "'")
        if self.phrases is not None:
            lowered = self.phrases.sub(self._token, lowered)
        return float(self.analyzer.polarity_scores(lowered)["compound"])

    def _token(self, match: re.Match[str]) -> str:
        return f" {self.tokens[(match.lastindex or 1) - 1]} "


def available() -> bool:
    try:
        import vaderSentiment.vaderSentiment  # noqa: F401
    except ImportError:
        return False
    return True


def build(phrases: Iterable[tuple[str, float]] = (), words: dict[str, float] | None = None,
          *, english: bool = True) -> Lexicon:
    """A lexicon: VADER's English words (or none), then these phrases (regular
    expressions on the lower-cased text, earlier ones first) and words."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    if not english:
        analyzer.lexicon = {}
    phrases = tuple(phrases)
    if not phrases and not words:
        return Lexicon(analyzer, None, ())
    tokens = []
    for index, (_, valence) in enumerate(phrases):
        token = f"{_TOKEN_PREFIX}{chr(97 + index // 26)}{chr(97 + index % 26)}"
        analyzer.lexicon[token] = valence
        tokens.append(token)
    for word, valence in (words or {}).items():
        analyzer.lexicon[word] = valence
    if not phrases:
        return Lexicon(analyzer, None, ())
    # one pass over the text: the phrases as one alternation, earlier ones first
    pattern = re.compile("|".join(rf"\b({phrase})\b" for phrase, _ in phrases))
    return Lexicon(analyzer, pattern, tuple(tokens))


@cache
def review_lexicon(tweaked: bool) -> Lexicon:
    """Plain VADER (`tweaked=False`), or VADER with the review language above."""
    return build(PHRASES, WORDS) if tweaked else build()
