# ruff: noqa: E501  (template markup reads better unwrapped)
"""Built-in templates (en, de, fr, pt_BR) for the built-in journeys that messaging's
own built-ins do not cover: out for delivery, delay apology, failed attempt,
delivery problem, review request, replenishment, birthday, anniversary, second
purchase and win-back. Same layout and phrase slots as messaging.builtin_templates
(whose shared phrases they reuse); messaging looks here for keys it lacks.
SMS phrases keep to GSM-7 where the language allows."""

from __future__ import annotations

from afterward.messaging import builtin_templates as base
from afterward.messaging import template_registry

SHIPMENT_KEYS = ("shipment_out_for_delivery", "shipment_delayed", "shipment_failed_attempt",
                 "shipment_exception")
KEYS = (*SHIPMENT_KEYS, "review_request", "replenishment_reminder", "birthday_offer",
        "purchase_anniversary", "second_purchase", "winback")
LOCALES = base.LOCALES

_RECS = """    {% if recommendations %}<mj-section background-color="#ffffff">
      <mj-column>
        <mj-text><h2 style="font-size:18px;margin:0;">[[recs_heading]]</h2></mj-text>
        {% for product in recommendations %}<mj-text>{{ product.title }}{% if product.price_minor is not none %} &middot; {{ product.price_minor | money(product.currency) }}{% endif %}</mj-text>{% endfor %}
      </mj-column>
    </mj-section>{% endif %}"""

_REVIEW = """        {% if order %}<mj-text>{% for line in order.lines %}{{ line.title }}<br />{% endfor %}</mj-text>{% endif %}
        {% if data.review_url is defined and data.review_url is http_url %}<mj-button background-color="{{ store.brand_accent }}" href="{{ data.review_url }}">[[review_button]]</mj-button>
        {% else %}<mj-text>[[review_reply]]</mj-text>{% endif %}"""

_OFFER = """        {% if data.offer_code is defined and data.offer_code %}<mj-text>[[offer_code]]: <strong>{{ data.offer_code }}</strong></mj-text>{% endif %}"""

_CONTENT = {key: (base.TRACK, "") for key in SHIPMENT_KEYS} | {
    "review_request": (_REVIEW, ""),
    "replenishment_reminder": ("", _RECS),
    "birthday_offer": (_OFFER, _RECS),
    "purchase_anniversary": (_OFFER, _RECS),
    "second_purchase": ("", _RECS),
    "winback": (_OFFER, _RECS),
}

_TRACK_TEXT = """{% if shipment and shipment.tracking_number %}
[[tracking_number]]: {{ shipment.tracking_number }}
{% endif %}
{% if shipment and shipment.expected_by %}
[[expected]]
{% endif %}
{% if shipment and shipment.tracking_url %}
[[button]]: {{ shipment.tracking_url }}
{% endif %}
"""
_RECS_TEXT = """{% if recommendations %}

[[recs_heading]]
{% for product in recommendations %}
- {{ product.title }}
{% endfor %}
{% endif %}
"""
_OFFER_TEXT = """{% if data.offer_code is defined and data.offer_code %}

[[offer_code]]: {{ data.offer_code }}
{% endif %}
"""
_REVIEW_TEXT = """{% if order %}
{% for line in order.lines %}
- {{ line.title }}
{% endfor %}
{% endif %}

{% if data.review_url is defined and data.review_url is http_url %}
[[review_button]]: {{ data.review_url }}
{% else %}
[[review_reply]]
{% endif %}
"""
_HEAD_TEXT = "[[heading]]\n\n" + base.HELLO_TEXT + "\n[[intro]]\n"
_TEXT = {key: _HEAD_TEXT + "\n" + _TRACK_TEXT for key in SHIPMENT_KEYS} | {
    "review_request": _HEAD_TEXT + "\n" + _REVIEW_TEXT,
    "replenishment_reminder": _HEAD_TEXT + _RECS_TEXT,
    "birthday_offer": _HEAD_TEXT + _OFFER_TEXT + _RECS_TEXT,
    "purchase_anniversary": _HEAD_TEXT + _OFFER_TEXT + _RECS_TEXT,
    "second_purchase": _HEAD_TEXT + _RECS_TEXT,
    "winback": _HEAD_TEXT + _OFFER_TEXT + _RECS_TEXT,
}

_ORDER = "{% if order %} {{ order.number }}{% endif %}"
_PRODUCT = "{% if data.product_title is defined and data.product_title %}{{ data.product_title }}{% else %}[[your_favourite]]{% endif %}"
_YEARS = "{% if data.years is defined and data.years and data.years > 1 %}{{ data.years }} [[years]]{% else %}[[one_year]]{% endif %}"

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "review_button": "Write a review", "review_reply": "Just reply to this email: we read every answer.",
        "offer_code": "Your code", "your_favourite": "your favourite", "years": "years",
        "one_year": "a year",
        "shipment_out_for_delivery.subject": "Your order" + _ORDER + " arrives today",
        "shipment_out_for_delivery.heading": "Arriving today",
        "shipment_out_for_delivery.intro": "Your parcel is out for delivery{% if shipment and shipment.carrier_name %} with {{ shipment.carrier_name }}{% endif %} and should reach you today.",
        "shipment_out_for_delivery.sms": "{{ store.name }}: your order" + _ORDER + " is out for delivery today.{% if shipment %} Track it: {{ shipment.tracking_url }}{% endif %}",
        "shipment_delayed.subject": "Your order" + _ORDER + " is running late, sorry",
        "shipment_delayed.heading": "Your parcel is running late",
        "shipment_delayed.intro": "We are sorry: your order" + _ORDER + " will arrive later than we promised. We are keeping an eye on it and will let you know when it is out for delivery.",
        "shipment_delayed.sms": "{{ store.name }}: sorry, your order" + _ORDER + " is running late. We are on it.{% if shipment %} Track it: {{ shipment.tracking_url }}{% endif %}",
        "shipment_failed_attempt.subject": "We missed you: your order" + _ORDER,
        "shipment_failed_attempt.heading": "The carrier missed you",
        "shipment_failed_attempt.intro": "{% if shipment and shipment.carrier_name %}{{ shipment.carrier_name }}{% else %}The carrier{% endif %} tried to deliver your order" + _ORDER + " but nobody was in. They will usually try again on the next working day; the tracking page shows what happens next.",
        "shipment_failed_attempt.sms": "{{ store.name }}: the carrier missed you with order" + _ORDER + ". Next steps:{% if shipment %} {{ shipment.tracking_url }}{% endif %}",
        "shipment_exception.subject": "A problem with the delivery of your order" + _ORDER,
        "shipment_exception.heading": "There is a problem with your delivery",
        "shipment_exception.intro": "The carrier reported a problem with your order" + _ORDER + ". We are looking into it and will make it right. Reply to this email if you have any questions.",
        "shipment_exception.sms": "{{ store.name }}: there is a problem with the delivery of order" + _ORDER + ". We are on it and will be in touch.",
        "review_request.subject": "How do you like your order" + _ORDER + "?",
        "review_request.heading": "How is it going?",
        "review_request.intro": "You have had your order for a little while now. Would you tell us, and other shoppers, what you think?",
        "replenishment_reminder.subject": "Running low on " + _PRODUCT + "?",
        "replenishment_reminder.heading": "Time for a refill?",
        "replenishment_reminder.intro": "By our count, " + _PRODUCT + " will run out in a few days. Order now and it arrives before you miss it.",
        "birthday_offer.subject": "Happy birthday{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %}!",
        "birthday_offer.heading": "Happy birthday!",
        "birthday_offer.intro": "Everyone at {{ store.name }} wishes you a wonderful day. Treat yourself: here is something we think you will like.",
        "purchase_anniversary.subject": "It has been " + _YEARS + "!",
        "purchase_anniversary.heading": "Thank you for " + _YEARS + " with us",
        "purchase_anniversary.intro": "It has been " + _YEARS + " since your first order at {{ store.name }}. Thank you for being with us.",
        "second_purchase.subject": "Picked your next favourite yet?",
        "second_purchase.heading": "Ready for your next favourite?",
        "second_purchase.intro": "We hope you are enjoying your first order. Shoppers who bought the same also loved these.",
        "winback.subject": "We miss you{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "winback.heading": "It has been a while",
        "winback.intro": "We have not seen you in some time, and a lot has happened at {{ store.name }}. Here is what we think you would like.",
    },
    "de": {
        "review_button": "Bewertung schreiben", "review_reply": "Antworten Sie einfach auf diese E-Mail: Wir lesen jede Antwort.",
        "offer_code": "Ihr Code", "your_favourite": "Ihr Lieblingsprodukt", "years": "Jahre",
        "one_year": "ein Jahr",
        "shipment_out_for_delivery.subject": "Ihre Bestellung" + _ORDER + " kommt heute",
        "shipment_out_for_delivery.heading": "Heute bei Ihnen",
        "shipment_out_for_delivery.intro": "Ihr Paket ist in der Zustellung{% if shipment and shipment.carrier_name %} mit {{ shipment.carrier_name }}{% endif %} und sollte heute ankommen.",
        "shipment_out_for_delivery.sms": "{{ store.name }}: Ihre Bestellung" + _ORDER + " wird heute zugestellt.{% if shipment %} Verfolgen: {{ shipment.tracking_url }}{% endif %}",
        "shipment_delayed.subject": "Ihre Bestellung" + _ORDER + " verspätet sich, Entschuldigung",
        "shipment_delayed.heading": "Ihr Paket verspätet sich",
        "shipment_delayed.intro": "Es tut uns leid: Ihre Bestellung" + _ORDER + " kommt später als versprochen. Wir behalten sie im Blick und melden uns, sobald sie in der Zustellung ist.",
        "shipment_delayed.sms": "{{ store.name }}: Entschuldigung, Ihre Bestellung" + _ORDER + " verspätet sich. Wir kümmern uns.{% if shipment %} Verfolgen: {{ shipment.tracking_url }}{% endif %}",
        "shipment_failed_attempt.subject": "Wir haben Sie verpasst: Bestellung" + _ORDER,
        "shipment_failed_attempt.heading": "Der Zusteller hat Sie nicht angetroffen",
        "shipment_failed_attempt.intro": "{% if shipment and shipment.carrier_name %}{{ shipment.carrier_name }}{% else %}Der Zusteller{% endif %} wollte Ihre Bestellung" + _ORDER + " zustellen, hat aber niemanden angetroffen. Meist folgt am nächsten Werktag ein neuer Versuch; die Sendungsverfolgung zeigt, wie es weitergeht.",
        "shipment_failed_attempt.sms": "{{ store.name }}: Der Zusteller hat Sie mit Bestellung" + _ORDER + " verpasst. So geht es weiter:{% if shipment %} {{ shipment.tracking_url }}{% endif %}",
        "shipment_exception.subject": "Ein Problem mit der Zustellung Ihrer Bestellung" + _ORDER,
        "shipment_exception.heading": "Es gibt ein Problem mit Ihrer Zustellung",
        "shipment_exception.intro": "Der Versanddienst meldet ein Problem mit Ihrer Bestellung" + _ORDER + ". Wir kümmern uns darum und bringen es in Ordnung. Bei Fragen antworten Sie einfach auf diese E-Mail.",
        "shipment_exception.sms": "{{ store.name }}: Es gibt ein Problem mit der Zustellung von Bestellung" + _ORDER + ". Wir kümmern uns und melden uns.",
        "review_request.subject": "Wie gefällt Ihnen Ihre Bestellung" + _ORDER + "?",
        "review_request.heading": "Wie gefällt es Ihnen?",
        "review_request.intro": "Sie haben Ihre Bestellung jetzt seit einiger Zeit. Verraten Sie uns und anderen Kunden, was Sie davon halten?",
        "replenishment_reminder.subject": "Geht " + _PRODUCT + " zur Neige?",
        "replenishment_reminder.heading": "Zeit zum Nachfüllen?",
        "replenishment_reminder.intro": "Nach unserer Rechnung ist " + _PRODUCT + " in ein paar Tagen aufgebraucht. Bestellen Sie jetzt, dann ist Nachschub da, bevor er fehlt.",
        "birthday_offer.subject": "Alles Gute zum Geburtstag{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %}!",
        "birthday_offer.heading": "Alles Gute zum Geburtstag!",
        "birthday_offer.intro": "Das ganze Team von {{ store.name }} wünscht Ihnen einen wunderbaren Tag. Gönnen Sie sich etwas: Das hier könnte Ihnen gefallen.",
        "purchase_anniversary.subject": "Schon " + _YEARS + "!",
        "purchase_anniversary.heading": "Danke für " + _YEARS + " mit uns",
        "purchase_anniversary.intro": "Ihre erste Bestellung bei {{ store.name }} ist jetzt " + _YEARS + " her. Danke, dass Sie dabei sind.",
        "second_purchase.subject": "Schon Ihr nächstes Lieblingsstück gefunden?",
        "second_purchase.heading": "Bereit für Ihr nächstes Lieblingsstück?",
        "second_purchase.intro": "Wir hoffen, Ihre erste Bestellung gefällt Ihnen. Wer dasselbe gekauft hat, mochte auch diese Produkte.",
        "winback.subject": "Wir vermissen Sie{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "winback.heading": "Lange nicht gesehen",
        "winback.intro": "Wir haben Sie eine Weile nicht gesehen, und bei {{ store.name }} hat sich viel getan. Das hier könnte Ihnen gefallen.",
    },
    "fr": {
        "review_button": "Donner mon avis", "review_reply": "Répondez simplement à cet e-mail : nous lisons chaque réponse.",
        "offer_code": "Votre code", "your_favourite": "votre produit préféré", "years": "ans",
        "one_year": "un an",
        "shipment_out_for_delivery.subject": "Votre commande" + _ORDER + " arrive aujourd'hui",
        "shipment_out_for_delivery.heading": "Livraison aujourd'hui",
        "shipment_out_for_delivery.intro": "Votre colis est en cours de livraison{% if shipment and shipment.carrier_name %} avec {{ shipment.carrier_name }}{% endif %} et devrait arriver aujourd'hui.",
        "shipment_out_for_delivery.sms": "{{ store.name }} : votre commande" + _ORDER + " est en livraison aujourd'hui.{% if shipment %} Suivi : {{ shipment.tracking_url }}{% endif %}",
        "shipment_delayed.subject": "Votre commande" + _ORDER + " a du retard, désolés",
        "shipment_delayed.heading": "Votre colis a du retard",
        "shipment_delayed.intro": "Nous sommes désolés : votre commande" + _ORDER + " arrivera plus tard que prévu. Nous la suivons de près et vous préviendrons dès qu'elle sera en livraison.",
        "shipment_delayed.sms": "{{ store.name }} : désolés, votre commande" + _ORDER + " a du retard. Nous la suivons.{% if shipment %} Suivi : {{ shipment.tracking_url }}{% endif %}",
        "shipment_failed_attempt.subject": "Nous vous avons manqué : commande" + _ORDER,
        "shipment_failed_attempt.heading": "Le transporteur vous a manqué",
        "shipment_failed_attempt.intro": "{% if shipment and shipment.carrier_name %}{{ shipment.carrier_name }}{% else %}Le transporteur{% endif %} a tenté de livrer votre commande" + _ORDER + " en votre absence. Une nouvelle tentative a lieu en général le jour ouvré suivant ; la page de suivi indique la suite.",
        "shipment_failed_attempt.sms": "{{ store.name }} : le transporteur vous a manqué pour la commande" + _ORDER + ". La suite :{% if shipment %} {{ shipment.tracking_url }}{% endif %}",
        "shipment_exception.subject": "Un problème avec la livraison de votre commande" + _ORDER,
        "shipment_exception.heading": "Un problème avec votre livraison",
        "shipment_exception.intro": "Le transporteur signale un problème avec votre commande" + _ORDER + ". Nous nous en occupons. Une question ? Répondez simplement à cet e-mail.",
        "shipment_exception.sms": "{{ store.name }} : un probleme est survenu avec la livraison de la commande" + _ORDER + ". Nous nous en occupons.",
        "review_request.subject": "Que pensez-vous de votre commande" + _ORDER + " ?",
        "review_request.heading": "Alors, ça vous plaît ?",
        "review_request.intro": "Vous avez reçu votre commande il y a quelque temps. Dites-nous, à nous et aux autres clients, ce que vous en pensez.",
        "replenishment_reminder.subject": "Bientôt à court de " + _PRODUCT + " ?",
        "replenishment_reminder.heading": "L'heure de refaire le plein ?",
        "replenishment_reminder.intro": "D'après nos calculs, " + _PRODUCT + " sera épuisé dans quelques jours. Commandez maintenant pour ne jamais en manquer.",
        "birthday_offer.subject": "Joyeux anniversaire{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %} !",
        "birthday_offer.heading": "Joyeux anniversaire !",
        "birthday_offer.intro": "Toute l'équipe de {{ store.name }} vous souhaite une merveilleuse journée. Faites-vous plaisir : voici ce qui pourrait vous plaire.",
        "purchase_anniversary.subject": "Déjà " + _YEARS + " !",
        "purchase_anniversary.heading": "Merci pour " + _YEARS + " à nos côtés",
        "purchase_anniversary.intro": "Votre première commande chez {{ store.name }} date d'il y a " + _YEARS + ". Merci de votre fidélité.",
        "second_purchase.subject": "Avez-vous trouvé votre prochain coup de cœur ?",
        "second_purchase.heading": "Prêt pour votre prochain coup de cœur ?",
        "second_purchase.intro": "Nous espérons que votre première commande vous plaît. Les clients qui ont acheté la même chose ont aussi aimé ceci.",
        "winback.subject": "Vous nous manquez{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "winback.heading": "Cela fait un moment",
        "winback.intro": "Nous ne vous avons pas vu depuis un moment, et il s'est passé beaucoup de choses chez {{ store.name }}. Voici ce qui pourrait vous plaire.",
    },
    "pt_BR": {
        "review_button": "Escrever avaliação", "review_reply": "É só responder a este e-mail: lemos todas as respostas.",
        "offer_code": "Seu cupom", "your_favourite": "produto favorito", "years": "anos",
        "one_year": "um ano",
        "shipment_out_for_delivery.subject": "Seu pedido" + _ORDER + " chega hoje",
        "shipment_out_for_delivery.heading": "Chega hoje",
        "shipment_out_for_delivery.intro": "Seu pacote saiu para entrega{% if shipment and shipment.carrier_name %} com {{ shipment.carrier_name }}{% endif %} e deve chegar hoje.",
        "shipment_out_for_delivery.sms": "{{ store.name }}: seu pedido" + _ORDER + " saiu para entrega hoje.{% if shipment %} Rastreie: {{ shipment.tracking_url }}{% endif %}",
        "shipment_delayed.subject": "Seu pedido" + _ORDER + " está atrasado, desculpe",
        "shipment_delayed.heading": "Seu pacote está atrasado",
        "shipment_delayed.intro": "Pedimos desculpas: seu pedido" + _ORDER + " vai chegar depois do prometido. Estamos acompanhando e avisaremos quando sair para entrega.",
        "shipment_delayed.sms": "{{ store.name }}: desculpe, seu pedido" + _ORDER + " esta atrasado. Estamos acompanhando.{% if shipment %} Rastreie: {{ shipment.tracking_url }}{% endif %}",
        "shipment_failed_attempt.subject": "Não encontramos você: pedido" + _ORDER,
        "shipment_failed_attempt.heading": "A transportadora não encontrou você",
        "shipment_failed_attempt.intro": "{% if shipment and shipment.carrier_name %}{{ shipment.carrier_name }}{% else %}A transportadora{% endif %} tentou entregar seu pedido" + _ORDER + ", mas não havia ninguém. Normalmente há uma nova tentativa no próximo dia útil; a página de rastreio mostra os próximos passos.",
        "shipment_failed_attempt.sms": "{{ store.name }}: a transportadora nao encontrou voce com o pedido" + _ORDER + ". Proximos passos:{% if shipment %} {{ shipment.tracking_url }}{% endif %}",
        "shipment_exception.subject": "Um problema na entrega do seu pedido" + _ORDER,
        "shipment_exception.heading": "Houve um problema com a sua entrega",
        "shipment_exception.intro": "A transportadora informou um problema com seu pedido" + _ORDER + ". Já estamos cuidando disso. Dúvidas? É só responder a este e-mail.",
        "shipment_exception.sms": "{{ store.name }}: houve um problema na entrega do pedido" + _ORDER + ". Estamos cuidando disso.",
        "review_request.subject": "O que achou do seu pedido" + _ORDER + "?",
        "review_request.heading": "Está gostando?",
        "review_request.intro": "Você já está com seu pedido há algum tempo. Conte para nós e para outros clientes o que achou.",
        "replenishment_reminder.subject": "Seu " + _PRODUCT + " está acabando?",
        "replenishment_reminder.heading": "Hora de repor?",
        "replenishment_reminder.intro": "Pelas nossas contas, seu " + _PRODUCT + " acaba em poucos dias. Peça agora e receba antes de faltar.",
        "birthday_offer.subject": "Feliz aniversário{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %}!",
        "birthday_offer.heading": "Feliz aniversário!",
        "birthday_offer.intro": "Toda a equipe da {{ store.name }} deseja a você um dia maravilhoso. Dê um presente a si mesmo: separamos algo que você vai gostar.",
        "purchase_anniversary.subject": "Já faz " + _YEARS + "!",
        "purchase_anniversary.heading": "Obrigado por " + _YEARS + " com a gente",
        "purchase_anniversary.intro": "Seu primeiro pedido na {{ store.name }} foi há " + _YEARS + ". Obrigado por estar com a gente.",
        "second_purchase.subject": "Já escolheu seu próximo favorito?",
        "second_purchase.heading": "Pronto para o próximo favorito?",
        "second_purchase.intro": "Esperamos que esteja gostando do seu primeiro pedido. Quem comprou o mesmo também adorou estes.",
        "winback.subject": "Sentimos sua falta{% if customer and customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "winback.heading": "Faz tempo!",
        "winback.intro": "Faz tempo que não vemos você, e muita coisa mudou na {{ store.name }}. Separamos algo que você vai gostar.",
    },
}


def _fill(text: str, locale: str) -> str:
    phrases = {**base.PHRASES[locale], **PHRASES[locale]}
    out = text.replace("[[lang]]", locale.split("_")[0])
    for _ in range(3):  # a phrase may hold another phrase's slot
        for name, value in phrases.items():
            out = out.replace(f"[[{name}]]", value)
    if "[[" in out:
        raise KeyError(f"unfilled slot in built-in template for {locale}: {out!r:.200}")
    return out


def source(key: str, channel: str, locale: str) -> tuple[str | None, str, str | None] | None:
    """(subject, body, text_body) of a built-in, or None when there is none."""
    if key not in KEYS or locale not in PHRASES:
        return None
    if channel == "sms":
        if key not in SHIPMENT_KEYS:
            return None
        return None, _fill(f"[[{key}.sms]]", locale), None
    if channel != "email":
        return None
    content, sections = _CONTENT[key]
    body = (base.LAYOUT.replace("[[content]]", content).replace("[[sections]]", sections)
            .replace("[[heading]]", f"[[{key}.heading]]").replace("[[intro]]", f"[[{key}.intro]]")
            .replace("[[preview]]", f"[[{key}.heading]]"))
    text = (_TEXT[key] + base.TEXT_FOOTER).replace("[[heading]]", f"[[{key}.heading]]").replace(
        "[[intro]]", f"[[{key}.intro]]")
    return _fill(f"[[{key}.subject]]", locale), _fill(body, locale), _fill(text, locale)


template_registry.register(KEYS, source)
