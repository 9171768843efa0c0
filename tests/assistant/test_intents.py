"""Intents: every intent recognised in each of the four languages, what is not ours
(other languages, gibberish, empty) is `other`, the language picked for the reply (a
locale hint wins on short messages), and the one-message fast path scores exactly as
scikit-learn would."""

from __future__ import annotations

import math

import pytest

from afterward.assistant import intent_model, language
from afterward.assistant.intents import INTENTS, Recognised, decide, recognise, without_facts


@pytest.fixture(scope="module", autouse=True)
def model() -> intent_model.TfidfIntentModel:
    return intent_model.default_model()  # trained once per process


MESSAGES = [
    ('Where is my order #1042?', 'where_is_my_order', 'en'),
    ("my package still hasn't arrived", 'where_is_my_order', 'en'),
    ('Wo ist meine Bestellung 1042?', 'where_is_my_order', 'de'),
    ('mein Paket ist immer noch nicht da', 'where_is_my_order', 'de'),
    ('Où est ma commande n° 1042 ?', 'where_is_my_order', 'fr'),
    ("mon colis n'est toujours pas arrivé", 'where_is_my_order', 'fr'),
    ('Onde está meu pedido 1042?', 'where_is_my_order', 'pt'),
    ('minha encomenda ainda não chegou', 'where_is_my_order', 'pt'),
    ('When will my parcel be delivered?', 'delivery_date', 'en'),
    ('will it arrive before Friday', 'delivery_date', 'en'),
    ('Wann wird mein Paket geliefert?', 'delivery_date', 'de'),
    ('kommt es noch vor Freitag', 'delivery_date', 'de'),
    ('Quand mon colis sera-t-il livré ?', 'delivery_date', 'fr'),
    ('ça arrivera avant vendredi ?', 'delivery_date', 'fr'),
    ('Quando minha encomenda vai ser entregue?', 'delivery_date', 'pt'),
    ('chega antes de sexta?', 'delivery_date', 'pt'),
    ('I want to return the shoes, they are too small', 'start_return', 'en'),
    ('how do I send this back', 'start_return', 'en'),
    ('Ich möchte die Schuhe zurückschicken, sie sind zu klein', 'start_return', 'de'),
    ('wie schicke ich das zurück', 'start_return', 'de'),
    ('Je veux retourner les chaussures, elles sont trop petites', 'start_return', 'fr'),
    ('comment renvoyer cet article', 'start_return', 'fr'),
    ('Quero devolver os sapatos, ficaram pequenos', 'start_return', 'pt'),
    ('como faço para devolver isso', 'start_return', 'pt'),
    ('I sent the return back two weeks ago, where is my refund?', 'refund_status', 'en'),
    ('refund??', 'refund_status', 'en'),
    ("Ich habe die Retoure vor zwei Wochen geschickt, wo bleibt meine Erstattung?",
     "refund_status", "de"),
    ('rückerstattung??', 'refund_status', 'de'),
    ("J'ai renvoyé le colis il y a deux semaines, où est mon remboursement ?",
     "refund_status", "fr"),
    ('remboursement ??', 'refund_status', 'fr'),
    ('Devolvi há duas semanas, cadê meu reembolso?', 'refund_status', 'pt'),
    ('estorno??', 'refund_status', 'pt'),
    ('How many days do I have to return an item?', 'return_policy', 'en'),
    ('are returns free', 'return_policy', 'en'),
    ('Wie viele Tage habe ich für eine Rücksendung?', 'return_policy', 'de'),
    ('ist die Rücksendung kostenlos', 'return_policy', 'de'),
    ('Combien de jours ai-je pour retourner un article ?', 'return_policy', 'fr'),
    ('les retours sont gratuits ?', 'return_policy', 'fr'),
    ('Quantos dias tenho para devolver um produto?', 'return_policy', 'pt'),
    ('a devolução é grátis?', 'return_policy', 'pt'),
    ('Please cancel my order', 'cancel_order', 'en'),
    ('I ordered by mistake, can I cancel?', 'cancel_order', 'en'),
    ('Bitte stornieren Sie meine Bestellung', 'cancel_order', 'de'),
    ('aus Versehen bestellt, kann ich stornieren?', 'cancel_order', 'de'),
    ("Merci d'annuler ma commande", 'cancel_order', 'fr'),
    ('commandé par erreur, je peux annuler ?', 'cancel_order', 'fr'),
    ('Por favor cancelem meu pedido', 'cancel_order', 'pt'),
    ('comprei sem querer, posso cancelar?', 'cancel_order', 'pt'),
    ('I need to change the delivery address', 'change_address', 'en'),
    ('wrong house number on my order', 'change_address', 'en'),
    ('Ich muss die Lieferadresse ändern', 'change_address', 'de'),
    ('falsche Hausnummer in meiner Bestellung', 'change_address', 'de'),
    ("Je dois changer l'adresse de livraison", 'change_address', 'fr'),
    ('mauvais numéro de rue sur ma commande', 'change_address', 'fr'),
    ('Preciso mudar o endereço de entrega', 'change_address', 'pt'),
    ('número da casa errado no pedido', 'change_address', 'pt'),
    ('The mug arrived broken and I am really upset', 'complaint', 'en'),
    ('you sent me the wrong item', 'complaint', 'en'),
    ('Die Tasse kam kaputt an und ich bin echt verärgert', 'complaint', 'de'),
    ('ihr habt mir den falschen Artikel geschickt', 'complaint', 'de'),
    ('La tasse est arrivée cassée et je suis vraiment fâchée', 'complaint', 'fr'),
    ("vous m'avez envoyé le mauvais article", 'complaint', 'fr'),
    ('A caneca chegou quebrada e estou muito chateada', 'complaint', 'pt'),
    ('vocês mandaram o produto errado', 'complaint', 'pt'),
    ("I'd like to write a review of the jacket", 'leave_review', 'en'),
    ('where can I rate the product', 'leave_review', 'en'),
    ('Ich möchte eine Bewertung für die Jacke schreiben', 'leave_review', 'de'),
    ('wo kann ich das Produkt bewerten', 'leave_review', 'de'),
    ('Je voudrais écrire un avis sur la veste', 'leave_review', 'fr'),
    ('où noter le produit', 'leave_review', 'fr'),
    ('Quero escrever uma avaliação da jaqueta', 'leave_review', 'pt'),
    ('onde avalio o produto', 'leave_review', 'pt'),
    ('How many loyalty points do I have?', 'loyalty_points', 'en'),
    ('can I use my points', 'loyalty_points', 'en'),
    ('Wie viele Treuepunkte habe ich?', 'loyalty_points', 'de'),
    ('kann ich meine Punkte einlösen', 'loyalty_points', 'de'),
    ('Combien de points de fidélité ai-je ?', 'loyalty_points', 'fr'),
    ('je peux utiliser mes points', 'loyalty_points', 'fr'),
    ('Quantos pontos de fidelidade eu tenho?', 'loyalty_points', 'pt'),
    ('posso usar meus pontos', 'loyalty_points', 'pt'),
    ('I want to speak to a human', 'talk_to_person', 'en'),
    ('can someone call me', 'talk_to_person', 'en'),
    ('Ich möchte mit einem Menschen sprechen', 'talk_to_person', 'de'),
    ('kann mich jemand anrufen', 'talk_to_person', 'de'),
    ('Je veux parler à un humain', 'talk_to_person', 'fr'),
    ("quelqu'un peut m'appeler", 'talk_to_person', 'fr'),
    ('Quero falar com um humano', 'talk_to_person', 'pt'),
    ('alguém pode me ligar', 'talk_to_person', 'pt'),
    ('Please stop sending me newsletters', 'email_preferences', 'en'),
    ('unsubscribe me', 'email_preferences', 'en'),
    ('Bitte keine Newsletter mehr schicken', 'email_preferences', 'de'),
    ('vom Newsletter abmelden', 'email_preferences', 'de'),
    ("Arrêtez de m'envoyer des newsletters", 'email_preferences', 'fr'),
    ('désinscrivez-moi', 'email_preferences', 'fr'),
    ('Parem de me mandar newsletters', 'email_preferences', 'pt'),
    ('quero me descadastrar', 'email_preferences', 'pt'),
    ("What's the weather like in Lisbon?", 'other', 'en'),
    ('tell me a joke', 'other', 'en'),
    ('Wie wird das Wetter morgen?', 'other', 'de'),
    ('erzähl mir einen Witz', 'other', 'de'),
    ('Quel temps fait-il à Lyon ?', 'other', 'fr'),
    ('raconte-moi une blague', 'other', 'fr'),
    ('Como está o tempo em Lisboa?', 'other', 'pt'),
    ('me conta uma piada', 'other', 'pt'),
]


@pytest.mark.parametrize(("text", "intent", "language_"), MESSAGES)
def test_each_intent_is_recognised_in_each_language(text, intent, language_):
    recognised = recognise(text)

    assert (recognised.intent, recognised.language) == (intent, language_)
    assert 0.0 <= recognised.confidence <= 1.0


def test_the_messages_cover_every_intent_in_every_language():
    assert {(intent, lang) for _, intent, lang in MESSAGES} == {
        (intent, lang) for intent in INTENTS for lang in ("en", "de", "fr", "pt")}


@pytest.mark.parametrize("text", [
    "¿Dónde está mi pedido?", "Quiero devolver los zapatos", "Vorrei annullare il mio ordine",
    "我的包裹在哪里", "qwpoeiru zxmcnv", "🤔🤔🤔"])
def test_other_languages_and_gibberish_are_other(text):
    assert recognise(text).intent == "other"


def test_an_empty_message_is_other_in_the_hinted_language():
    assert recognise("   ", locale="pt-BR") == Recognised("other", 1.0, "pt")
    assert recognise("") == Recognised("other", 1.0, "unknown")


def test_a_locale_hint_decides_the_language_of_a_short_message():
    assert recognise("refund??", locale="de").language == "de"
    assert recognise("ok", locale="fr_FR").language == "fr"
    assert recognise("refund??", locale="es").language == "en"  # not ours: no hint


def test_a_longer_message_keeps_its_own_language_whatever_the_hint():
    assert recognise("Wo ist meine Bestellung, sie ist noch nicht da", locale="en").language == "de"


def test_language_detection_names_neighbours_and_other_scripts():
    assert language.identify("¿Cuándo llega mi paquete?") == "es"
    assert language.identify("Il mio pacco non è ancora arrivato") == "it"
    assert language.identify("我的订单在哪里") == "script"
    assert language.detect("Where is my parcel") == "en"
    assert language.detect("Où est mon colis") == "fr"
    assert language.detect("Onde está o meu pacote") == "pt"
    assert language.detect("Wo ist mein Paket") == "de"
    assert language.detect("xyzzy plugh") == "unknown"


def test_below_the_threshold_the_answer_is_other():
    labels = ("cancel_order", "other", "refund_status")

    assert decide(labels, [0.2, 0.1, 0.7], 0.25) == ("refund_status", 0.7)
    assert decide(labels, [0.24, 0.52, 0.24], 0.25) == ("other", 0.52)
    assert decide(labels, [0.22, 0.2, 0.58], 0.6) == ("other", 0.58)


def test_a_very_long_message_is_read_from_its_start():
    start = "I want to cancel my order. " + "blah " * 400

    assert recognise(start + "refund " * 20_000) == recognise(start + "joke " * 20_000)


def test_the_fast_path_gives_scikit_learns_probabilities():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    texts = ["where is my order", "wo ist mein paket", "cancel my order", "bitte stornieren",
             "refund??", "wo bleibt mein geld", "tell me a joke", "hallo"]
    labels = ["where_is_my_order"] * 2 + ["cancel_order"] * 2 + ["refund_status"] * 2 + [
        "other"] * 2
    # given
    ours = intent_model.train_tfidf(texts, labels, c=1.0, scale=2.0)
    vectorizer = TfidfVectorizer(analyzer=intent_model.features, sublinear_tf=True)
    svm = LinearSVC(C=1.0, random_state=0).fit(vectorizer.fit_transform(texts), labels)
    # when
    message = "where is my refund, order #1042?"
    scores = svm.decision_function(vectorizer.transform([message]))[0] * 2.0
    total = sum(math.exp(s - max(scores)) for s in scores)
    # then
    assert ours.labels == tuple(svm.classes_)
    assert ours.probabilities(message) == pytest.approx(
        [math.exp(s - max(scores)) / total for s in scores], abs=1e-12)


def test_folding_drops_accents_and_numbers_and_long_repeats():
    assert (intent_model.fold("Où est ma COMMANDE #1042 ?? pleeeease")
            == "ou est ma commande  0  ?? pleease")
    assert intent_model.fold("Straße") == "strasse"


@pytest.mark.parametrize("text,left", [
    ("where is my order 1001? my email is ada@example.com", "where is my order 1001?  "),
    ("wo ist meine Bestellung, meine PLZ ist 10115", "wo ist meine Bestellung,  "),
    ("meu email é ana@example.com.br, cadê meu pedido?", "  cadê meu pedido?"),
    ("change my email address to bob@example.com", "change my email address to bob@example.com"),
])
def test_the_email_or_postal_code_a_shopper_gives_as_theirs_is_not_read_as_intent(text, left):
    assert without_facts(text) == left


def test_a_question_that_gives_the_shopper_s_email_is_still_the_question():
    assert recognise("where is my order 1001? my email is ada@example.com").intent \
        == "where_is_my_order"
