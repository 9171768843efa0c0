"""Themes: the recurring topics across a store's texts (reviews, survey comments,
return reasons, ...). TF-IDF over word 1-2-grams, then non-negative matrix
factorisation (NMF, deterministic NNDSVD start): each theme is a weighted set of
terms; a text belongs to the theme it weighs most on. Each theme gets its key phrases
(its heaviest terms), its texts' average sentiment, its count per month, its most
typical texts and the products it touches most. NMF was measured against k-means on
the same vectors (docs/insights.md, "Themes"): its themes' top terms overlap less.

Pure: texts in, themes out; insights/words.py stores them."""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

MIN_TEXTS = 8  # fewer texts than this: no themes
# A store with more texts: the vectors and themes are learned from its latest FIT_TEXTS
# and every text is then placed in them (time and memory stay bounded).
FIT_TEXTS = 20_000
MAX_THEMES = 12
MIN_SIZE = 2  # a theme with fewer texts is dropped
PHRASES = 6
EXAMPLES = 3
PRODUCTS = 5
EXAMPLE_CHARS = 280

# Words that say nothing about a topic, in the languages the pages speak (English from
# scikit-learn, plus Portuguese, German and French function words and review filler).
_EXTRA_STOP = """
product products item items thing things bought buy buying purchase purchased order
ordered get got just really very also would could one two use used using im ive dont
didnt doesnt isnt wasnt its didn doesn don isn ve wasn ll re
a o e é de da do das dos em no na nos nas um uma uns umas para pra por com sem que
se mais muito muita muitos muitas mas como foi ser ter tem já ja meu minha
meus minhas ele ela eles elas isso isto esse essa este esta estou está esta são sao
ao aos à às eu me nos lhe seu sua seus suas produto produtos
der die das und ist nicht ein eine einen einem einer es ich sie er wir mit von zu
auf für fur den dem des im in war sehr auch aber noch nur wie so bei nach aus habe hat
le la les un une des et est pas ne je il elle nous vous ils en du au aux pour par
avec sur dans ce cette ces qui que mais plus très tres été ete sont mon ma mes
"""


# Negations stay: "not received", "não recebi" name a topic of their own.
_KEEP = {"not", "no", "never", "nothing", "nor", "cannot"}


def stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted((set(ENGLISH_STOP_WORDS) - _KEEP) | set(_EXTRA_STOP.split()))


@dataclass(frozen=True)
class Doc:
    source: str
    ref: int
    text: str
    at: datetime
    score: float  # sentiment in [-1, 1]
    sku: str | None = None


@dataclass
class Theme:
    label: str
    phrases: list[str]
    size: int
    sentiment: float
    months: dict[str, int]  # "2026-03" -> texts that month
    examples: list[dict[str, Any]]  # {"source", "ref", "text", "score"}, most typical first
    products: list[dict[str, Any]] = field(default_factory=list)  # {"sku", "count", "sentiment"}
    doc_indexes: list[int] = field(default_factory=list)


def theme_count(texts: int) -> int:
    """About one theme per 25 texts, at least 2, at most MAX_THEMES."""
    return max(2, min(MAX_THEMES, round(math.sqrt(texts / 2.0))))


_WORD = re.compile(r"(?u)\b[^\W\d_]{2,}\b")


def _fold(word: str) -> str:
    """Lower case without accents: "não" and "nao" are one word to the vectors."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", word.lower())
                   if not unicodedata.combining(ch))


def _vectorize(texts: Sequence[str], fit_from: int = 0) -> tuple[Any, list[str]]:
    """TF-IDF over folded words, learned from texts[fit_from:]; the terms given back as
    customers most often wrote them (accents and all)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    stop = sorted({_fold(word) for word in stop_words()})
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), lowercase=False, sublinear_tf=True,
                                 min_df=2, max_df=0.5, stop_words=stop,
                                 token_pattern=_WORD.pattern, preprocessor=_fold,
                                 dtype=np.float64)
    if fit_from:
        vectorizer.fit(texts[fit_from:])
        matrix = vectorizer.transform(texts)
    else:
        matrix = vectorizer.fit_transform(texts)
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts[fit_from:]:
        for word in _WORD.findall(text.lower()):
            spelled[_fold(word)][word] += 1
    terms = [" ".join(spelled[w].most_common(1)[0][0] if spelled.get(w) else w
                      for w in term.split())
             for term in vectorizer.get_feature_names_out()]
    return matrix, terms


def _phrases(weights: np.ndarray, terms: list[str]) -> list[str]:
    """The heaviest terms, a word left out where a heavier two-word phrase holds it."""
    chosen: list[str] = []
    for index in np.argsort(-weights, kind="stable"):
        if weights[index] <= 0 or len(chosen) == PHRASES:
            break
        term = terms[index]
        words = set(term.split())
        if any(words <= set(other.split()) or set(other.split()) <= words
               for other in chosen):
            if " " in term:  # the phrase says more than the word it holds: swap
                chosen = [other for other in chosen if not set(other.split()) <= words]
                chosen.append(term)
            continue
        chosen.append(term)
    return chosen


def find(docs: Sequence[Doc], *, method: str = "nmf", themes: int | None = None
         ) -> list[Theme]:
    """The themes of these texts, largest first (none when there are too few)."""
    if len(docs) < MIN_TEXTS:
        return []
    # the latest FIT_TEXTS (docs come per module, oldest first: order them by time)
    order = sorted(range(len(docs)), key=lambda i: (docs[i].at, i))
    fit_rows = np.array(order[-FIT_TEXTS:])
    fit_from = max(0, len(docs) - FIT_TEXTS)
    ordered = [docs[i].text for i in order]
    try:
        matrix, terms = _vectorize(ordered, fit_from)
    except ValueError:  # no term in two texts
        return []
    matrix = matrix[np.argsort(order)]  # back to the docs' order
    k = min(themes or theme_count(len(docs)), matrix.shape[1], len(docs) - 1)
    if k < 2:
        return []
    weights, components = _factorise(matrix, k, method,
                                     fit_rows if len(docs) > FIT_TEXTS else None)
    best = np.argmax(weights, axis=1)
    strength = weights[np.arange(len(docs)), best]
    members: dict[int, list[int]] = defaultdict(list)
    for index, (theme, weight) in enumerate(zip(best, strength, strict=True)):
        if weight > 0:
            members[int(theme)].append(index)
    found = []
    for theme, indexes in members.items():
        if len(indexes) < MIN_SIZE:
            continue
        phrases = _phrases(components[theme], terms)
        if not phrases:
            continue
        found.append(_theme(docs, indexes, phrases, weights[:, theme]))
    found.sort(key=lambda t: (-t.size, t.label))
    return found


def _factorise(matrix: Any, k: int, method: str, fit_rows: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Each text's weight on each theme and each theme's weight on each term; learned
    from `fit_rows` when given (then every row placed in the themes)."""
    fit = matrix if fit_rows is None else matrix[fit_rows]
    weights, components = _fit(fit, k, method)
    if fit_rows is None:
        return weights, components
    from sklearn.decomposition import non_negative_factorization

    placed, _, _ = non_negative_factorization(matrix, H=components, n_components=k,
                                              init="custom", update_H=False, max_iter=200)
    return np.asarray(placed), components


def _fit(matrix: Any, k: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    if method == "nmf":
        from sklearn.decomposition import NMF
        from sklearn.exceptions import ConvergenceWarning

        model = NMF(n_components=k, init="nndsvd", max_iter=400, tol=1e-4)
        with warnings.catch_warnings():
            # texts repeated word for word converge slowly; 400 steps are plenty to rank
            # terms and texts, which is all the themes use
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("error", RuntimeWarning)
            try:
                weights = model.fit_transform(matrix)
            except RuntimeWarning:
                # fewer independent texts than themes: NNDSVD takes the root of a
                # negative rounding error; a seeded random start is as deterministic
                warnings.simplefilter("ignore", RuntimeWarning)
                model = NMF(n_components=k, init="random", random_state=0, max_iter=400,
                            tol=1e-4)
                weights = model.fit_transform(matrix)
        return np.asarray(weights), np.asarray(model.components_)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        model_k = KMeans(n_clusters=k, n_init=1, random_state=0)
        labels = model_k.fit_predict(matrix)
        weights = np.zeros((matrix.shape[0], k))
        weights[np.arange(matrix.shape[0]), labels] = 1.0
        return weights, np.maximum(np.asarray(model_k.cluster_centers_), 0.0)
    raise ValueError(f"unknown method {method!r}")


def _theme(docs: Sequence[Doc], indexes: list[int], phrases: list[str],
           weight: np.ndarray) -> Theme:
    members = [docs[i] for i in indexes]
    months = Counter(doc.at.strftime("%Y-%m") for doc in members)
    typical = sorted(indexes, key=lambda i: (-weight[i], i))[:EXAMPLES]
    by_sku: dict[str, list[float]] = defaultdict(list)
    for doc in members:
        if doc.sku:
            by_sku[doc.sku].append(doc.score)
    products = [{"sku": sku, "count": len(scores),
                 "sentiment": round(sum(scores) / len(scores), 4)}
                for sku, scores in sorted(by_sku.items(), key=lambda kv: (-len(kv[1]), kv[0]))
                ][:PRODUCTS]
    return Theme(label=", ".join(phrases[:3]), phrases=phrases, size=len(members),
                 sentiment=round(sum(doc.score for doc in members) / len(members), 4),
                 months=dict(sorted(months.items())),
                 examples=[{"source": docs[i].source, "ref": docs[i].ref,
                            "text": docs[i].text[:EXAMPLE_CHARS],
                            "score": round(docs[i].score, 4)} for i in typical],
                 products=products, doc_indexes=sorted(indexes))


def distinctiveness(themes: Sequence[Theme]) -> float:
    """The share of the themes' key phrases that no other theme has among its own
    (1.0: every theme speaks of something of its own)."""
    if not themes:
        return 0.0
    counts = Counter(phrase for theme in themes for phrase in set(theme.phrases))
    phrases = [phrase for theme in themes for phrase in set(theme.phrases)]
    return sum(1 for phrase in phrases if counts[phrase] == 1) / len(phrases)


def umass(themes: Sequence[Theme], texts: Sequence[str]) -> float:
    """UMass coherence (Mimno et al. 2011) of the themes' words over these texts: the
    mean of log((D(a, b) + 1) / D(b)) for pairs of a theme's key words, b the more
    frequent; nearer 0 is more coherent."""
    documents = [set(text.lower().split()) for text in texts]
    scores = []
    for theme in themes:
        words = [w for phrase in theme.phrases for w in phrase.split()][:PHRASES]
        words = list(dict.fromkeys(words))
        frequency = {w: sum(1 for d in documents if w in d) for w in words}
        for i, a in enumerate(words):
            for b in words[:i]:
                if frequency[b] == 0:
                    continue
                both = sum(1 for d in documents if a in d and b in d)
                scores.append(math.log((both + 1) / frequency[b]))
    return sum(scores) / len(scores) if scores else 0.0
