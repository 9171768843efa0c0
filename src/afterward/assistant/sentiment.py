"""Is a shopper's message clearly angry? Then a person takes the conversation, as for a
complaint (reason `negative_sentiment`).

The score is VADER's compound score in [-1, 1] (afterward/language/sentiment.py, the
lexicon scorer insights uses for reviews, here with other words):

- English: VADER's own word list, plus the words and phrases of an angry shopper
  below (VADER reads "joke" as good and lacks "rubbish", "fed up", "never again");
- German, French, Portuguese: VADER's rules (capitals, "!!!", "very") over a small
  lexicon of strongly negative words and phrases only (VADER's English list is left
  out, or German "die" would read as dying). The texts are lower-cased and their accents
  folded first, so "palhacada" is "palhaçada"; the words are written without accents.
  A word here is an insult to the shop, an accusation (fraud, scam), disgust or
  anger, never a mere problem ("damaged", "late", "missing"): those are questions the
  assistant can answer, and their intent (complaint, refund, where is it) decides.

A message in a language we do not answer in scores 0. The threshold was chosen by
measuring, on the two held-out files, how many ordinary questions would be handed
over (docs/assistant.md, "Hand-off on negative sentiment")."""

from __future__ import annotations

import unicodedata
from functools import cache

from afterward.language import sentiment as lexicons

# A message scoring at or below this hands the conversation to a person.
THRESHOLD = -0.5

EN_PHRASES: tuple[tuple[str, float], ...] = (
    (r"(?:this|that|it|you|your \w+) (?:is|are) (?:a )?(?:joke|farce|disgrace)", -3.0),
    (r"what a (?:joke|farce|shambles|disgrace|mess)", -3.0),
    (r"worst (?:shop|store|service|company|experience|customer service|website)", -3.2),
    (r"never (?:again|ordering|buying|shopping)", -2.8),
    (r"(?:fed up|sick and tired|sick of|had enough)", -2.6),
    (r"(?:not|totally|completely) acceptable", -2.4),
    (r"rip[- ]?off", -2.8),
    (r"(?:piss(?:ed)? off|pissed)", -3.0),
)
EN_WORDS: dict[str, float] = {
    "rubbish": -2.6, "scam": -3.0, "scammers": -3.2, "fraud": -3.0, "fraudsters": -3.2,
    "thieves": -3.0, "crooks": -3.0, "shambles": -2.6, "disgraceful": -3.0,
    "outrageous": -2.8, "unacceptable": -2.6, "appalling": -3.0, "incompetent": -2.8,
    "clowns": -2.6, "furious": -3.0, "livid": -3.0, "ridiculous": -2.4, "joke": -1.0,
}
# VADER's words that, in a shop's questions, name the problem the shopper asks about,
# not their anger ("I ordered the wrong colour by mistake, cancel it", "kill the
# order", "no tracking yet"): weakened, so that only anger moves the score far.
EN_PROBLEM_WORDS: dict[str, float] = {word: -0.3 for word in (
    "wrong", "mistake", "mistakes", "accident", "accidentally", "kill", "stop", "cancel",
    "cancelled", "canceled", "problem", "problems", "missing", "lost", "damaged", "damage",
    "broken", "broke", "delay", "delayed", "error", "fail", "failed", "worried", "no",
    "charged", "wait", "waiting")}
# Written lower case and without accents ("ß" as "ss").
DE_PHRASES: tuple[tuple[str, float], ...] = (
    (r"(?:das ist|ist das|echt|voll|so) (?:eine? )?(?:witz|frechheit|zumutung|unverschamtheit)",
     -3.2),
    (r"nase (?:gestrichen )?voll", -3.0),
    (r"nie wieder", -2.8),
    (r"(?:schlechteste[rns]?|miesester?) (?:shop|laden|service|firma|kundenservice)", -3.2),
    (r"(?:ich bin|bin) (?:total |echt |so |wirklich |sehr )?(?:sauer|wutend|stinksauer|"
     r"verargert|fassungslos)", -3.0),
    (r"(?:nicht|absolut nicht|vollig in) (?:akzeptabel|ordnung)", -2.4),
    (r"verarsch\w*", -3.2),
)
DE_WORDS: dict[str, float] = {
    "frechheit": -3.2, "unverschamt": -3.2, "unverschamtheit": -3.2, "zumutung": -3.0,
    "betrug": -3.2, "betruger": -3.4, "abzocke": -3.2, "abzocker": -3.4, "scheisse": -3.4,
    "scheiss": -3.2, "scheissladen": -3.6, "mist": -2.2, "schrott": -2.6, "mies": -2.4,
    "miese": -2.4, "mieser": -2.4, "miserabel": -2.8, "katastrophe": -3.0,
    "katastrophal": -3.0, "unmoglich": -2.2, "inakzeptabel": -2.8, "lacherlich": -2.6,
    "wutend": -3.0, "stinksauer": -3.2, "emport": -2.8, "armselig": -2.8,
    "inkompetent": -2.8, "saftladen": -3.2, "sauladen": -3.2, "drecksladen": -3.6,
    "schrecklich": -2.6, "furchtbar": -2.6, "grauenhaft": -2.8, "peinlich": -2.2,
}
FR_PHRASES: tuple[tuple[str, float], ...] = (
    (r"(?:c'est|c est|quelle|vraiment) (?:une )?(?:honte|blague|arnaque|escroquerie|"
     r"plaisanterie|catastrophe)", -3.2),
    (r"(?:pire|pires) (?:boutique|site|magasin|service|entreprise|experience)", -3.2),
    (r"(?:plus jamais|jamais plus)", -2.8),
    (r"(?:j'en ai|j en ai|jen ai) (?:marre|ras le bol|assez)", -3.0),
    (r"ras[- ]le[- ]bol", -3.0),
    (r"(?:foutez?|fout|fiche) (?:de ma gueule|de moi|du monde)", -3.4),
    (r"(?:pas|absolument pas) acceptable", -2.4),
    (r"se moquer? (?:de moi|du monde|des clients)", -3.0),
)
FR_WORDS: dict[str, float] = {
    "arnaque": -3.2, "arnaqueurs": -3.4, "escroc": -3.4, "escrocs": -3.4,
    "escroquerie": -3.4, "voleurs": -3.2, "honteux": -3.0, "honte": -2.6,
    "scandaleux": -3.0, "scandale": -3.0, "inadmissible": -3.0, "inacceptable": -2.8,
    "lamentable": -3.0, "minable": -2.8, "nul": -2.2, "nuls": -2.4, "nulle": -2.2,
    "merde": -3.4, "merdique": -3.4, "furieux": -3.0, "furieuse": -3.0, "degoute": -2.8,
    "degoutee": -2.8, "ecoeure": -2.8, "ecoeuree": -2.8, "catastrophique": -3.0,
    "pitoyable": -2.8, "incompetents": -2.8, "incompetent": -2.8, "ridicule": -2.6,
    "honteuse": -3.0, "insupportable": -2.6, "deplorable": -2.8, "exaspere": -2.8,
    "exasperee": -2.8, "enerve": -2.6, "enervee": -2.6,
}
PT_PHRASES: tuple[tuple[str, float], ...] = (
    (r"(?:que|e uma|isso e uma?) (?:palhacada|vergonha|piada|absurdo|falta de respeito)",
     -3.2),
    (r"(?:pior|piores) (?:loja|site|servico|empresa|atendimento|experiencia)", -3.2),
    (r"nunca mais", -2.8),
    (r"(?:to|estou|tou|fiquei|ja estou) (?:muito |super |extremamente )?(?:revoltad[oa]|"
     r"furios[oa]|indignad[oa]|putx?[oa]|irritad[oa])", -3.2),
    (r"(?:cansad[oa]|farto|farta) d(?:e|isso|esta)", -2.8),
    (r"falta de respeito", -3.0),
    (r"(?:nao|nada) aceitavel", -2.4),
)
PT_WORDS: dict[str, float] = {
    "palhacada": -3.2, "absurdo": -2.6, "vergonha": -2.6, "vergonhoso": -3.0,
    "ridiculo": -2.6, "golpe": -3.2, "golpistas": -3.4, "golpista": -3.4,
    "ladroes": -3.2, "fraude": -3.2, "lixo": -2.8, "porcaria": -3.0, "merda": -3.4,
    "pessimo": -3.0, "pessima": -3.0, "horrivel": -2.8, "lamentavel": -2.8,
    "inaceitavel": -2.8, "descaso": -2.8, "revoltado": -3.0, "revoltada": -3.0,
    "furioso": -3.0, "furiosa": -3.0, "indignado": -2.8, "indignada": -2.8,
    "incompetentes": -2.8, "incompetente": -2.8, "enganacao": -3.0, "vigaristas": -3.4,
    "nojo": -2.8, "desrespeito": -3.0,
}
_LEXICONS = {"en": (EN_PHRASES, {**EN_PROBLEM_WORDS, **EN_WORDS}), "de": (DE_PHRASES, DE_WORDS),
             "fr": (FR_PHRASES, FR_WORDS), "pt": (PT_PHRASES, PT_WORDS)}


@cache
def _lexicon(lang: str) -> lexicons.Lexicon:
    phrases, words = _LEXICONS[lang]
    return lexicons.build(phrases, words, english=lang == "en")


def _folded(text: str) -> str:
    text = text.replace("ß", "ss").replace("\u2019", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def score(text: str, lang: str) -> float:
    """The message's score in [-1, 1]; 0 in a language without a lexicon, or without
    vaderSentiment installed."""
    if lang not in _LEXICONS or not lexicons.available():
        return 0.0
    return _lexicon(lang).one(text if lang == "en" else _folded(text))


def is_angry(text: str, lang: str) -> bool:
    return score(text, lang) <= THRESHOLD
