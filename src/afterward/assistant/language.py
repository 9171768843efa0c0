"""Which of the assistant's languages a message is written in, to pick the reply's:
common words and letters of English, German, French and Portuguese, against those of
Spanish, Italian and Dutch (close enough to be mistaken for them: "unknown"). A
locale hint wins when the message is too short to tell (three words or fewer)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

LANGUAGES = ("en", "de", "fr", "pt")
SHORT = 3  # words: at most this many and the locale hint wins

def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORDS: dict[str, frozenset[str]] = {
    "en": word_set("""the and is are my me i you your it its to of in on for with
        this that what where when how why can could would will should do does did
        not no yet still please thanks thank hi hello hey want need get got have has
        was were be been from an a at by order parcel package delivery arrive arrived
        return refund cancel address points email emails review person human talk
        speak send sent back money help anymore already just again stop there
        i'm i'd don't can't doesn't isn't it's where's"""),
    "de": word_set("""der die das und ist sind mein meine meinen meiner ich du sie
        es zu von in im auf für mit dies diese was wo wann wie warum kann könnt
        können würde wird soll nicht kein keine noch bitte danke hallo will möchte
        brauche habe hat hab war wurde sein aus ein eine einen an bei bestellung
        paket lieferung sendung rücksendung retoure erstattung stornieren adresse
        punkte newsletter bewertung mitarbeiter mensch sprechen schicken geld zurück
        hilfe mehr schon nur wieder immer ihr euch eure euer mir mich uns gibt es
        nichts auch aber oder wenn dass"""),
    "fr": word_set("""le la les et est sont mon ma mes je tu vous il elle ce cette
        à de du des en dans sur pour avec que quoi où quand comment pourquoi peux
        pouvez peut voudrais veux faut pas ne plus encore svp merci bonjour salut
        j'ai ai avez a été être un une au aux commande colis livraison retour
        remboursement annuler adresse points mail mails avis conseiller humain
        parler envoyer renvoyer argent aide déjà juste toujours rien c'est qu'il
        j'en n'ai n'est s'il mais ou si aussi très trop"""),
    "pt": word_set("""o a os as e é são meu minha meus minhas eu você vocês ele
        ela isso esse essa de do da dos das em no na nos nas para pra com que
        onde quando como porque posso pode podem queria quero gostaria não mais
        ainda por favor obrigado obrigada olá oi tenho tem foi ser um uma ao pedido
        encomenda pacote entrega devolução devolver reembolso estorno cancelar
        endereço pontos email avaliação atendente pessoa falar mandar dinheiro ajuda
        já só sempre nada cadê está estou também muito vai"""),
    # Neighbours: a message that reads as one of these is in none of ours.
    "es": word_set("""el la los las y es son mi mis yo tú usted de del en para con
        que dónde donde cuándo cuando cómo como por qué porque puedo quiero
        necesito no más todavía gracias hola tengo tiene pedido paquete envío
        devolver reembolso cancelar dirección hablar persona llegado llega ha
        todavía mío me gustaría cuál política devoluciones"""),
    "it": word_set("""il lo la i gli le e è sono mio mia io tu di del della in per
        con che dove quando come perché posso voglio vorrei non più ancora grazie
        ciao ho ha ordine pacco spedizione restituire rimborso annullare indirizzo
        parlare persona arrivato arriva ricevuto operatore consegna mille"""),
    "nl": word_set("""de het een en is zijn mijn ik jij u van in op voor met wat
        waar wanneer hoe waarom kan wil graag niet nog dank hallo heb heeft
        bestelling pakket levering retourneren geld terug annuleren adres praten
        aangekomen"""),
}
_LETTERS = {"de": "äöüß", "fr": "èêëîïûùœ", "pt": "ãõ", "es": "ñ¿¡"}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def detect(text: str, locale: str | None = None,
           learned: Callable[[str], str] | None = None) -> str:
    """"en", "de", "fr", "pt", or "unknown". `learned` (the intent model's language
    column) breaks ties and speaks when no common word does."""
    hint = from_locale(locale)
    if hint and len(_WORD.findall(text[:2000])) <= SHORT:
        return hint
    found = identify(text, locale, learned)
    if found is None:
        return hint or "unknown"
    return found if found in LANGUAGES else "unknown"


def identify(text: str, locale: str | None = None,
             learned: Callable[[str], str] | None = None) -> str | None:
    """Ours ("en", "de", "fr", "pt"), a neighbour ("es", "it", "nl"), "script" (mostly
    letters outside the Latin script), or None when nothing tells (a tie is broken by
    `learned`, then by the locale hint)."""
    if _not_latin(text):
        return "script"
    text = text[:2000]
    words = _WORD.findall(text.lower())
    scores = {language: sum(1.0 for w in words if w in vocabulary)
              for language, vocabulary in _WORDS.items()}
    for language, letters in _LETTERS.items():
        scores[language] += 0.5 * sum(text.count(letter) for letter in letters)
    top = max(scores.values())
    tied = [language for language, score in scores.items() if score == top]
    if top > 0 and len(tied) == 1:
        return tied[0]
    guess = learned(text) if learned is not None else None
    if guess in LANGUAGES and (top == 0 or guess in tied):
        return guess
    hint = from_locale(locale)
    return hint if top > 0 and hint in tied else None


def from_locale(locale: str | None) -> str | None:
    if not locale:
        return None
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def _not_latin(text: str) -> bool:
    """Mostly letters outside the Latin script (Chinese, Cyrillic, Greek, ...)."""
    letters = [ch for ch in text[:500] if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin < len(letters) / 2
