# ruff: noqa: E501  (template markup reads better unwrapped)
"""Built-in templates (en, de, fr, pt_BR) for order confirmation, shipped and
delivered: MJML email with a text part, and a short SMS. Each is one layout with
[[phrase]] slots filled per locale, so what a merchant copies into the editor is
a plain, complete template. SMS phrases keep to GSM-7 where the language allows
(straight quotes, no 'ç'), since one other character doubles the price."""

from __future__ import annotations

from functools import lru_cache

from afterward.messaging import template_registry

KEYS = ("order_confirmation", "shipment_shipped", "shipment_delivered")
LOCALES = template_registry.LOCALES

HELLO = ("{% if customer and customer.first_name %}[[hello_name]]"
          "{% else %}[[hello]]{% endif %}")

LAYOUT = """<mjml lang="[[lang]]">
  <mj-head>
    <mj-preview>[[preview]]</mj-preview>
    <mj-attributes>
      <mj-all font-family="Helvetica, Arial, sans-serif" />
      <mj-text font-size="15px" line-height="1.5" color="#222222" />
    </mj-attributes>
    <mj-style>.muted div { color: #666666 !important; font-size: 12px !important; }</mj-style>
  </mj-head>
  <mj-body background-color="#f4f4f4">
    <mj-section background-color="{{ store.brand_primary }}">
      <mj-column>
        {% if store.logo_url %}<mj-image src="{{ store.logo_url }}" alt="{{ store.name }}" width="140px" />
        {% else %}<mj-text color="#ffffff" font-size="20px" font-weight="bold">{{ store.name }}</mj-text>{% endif %}
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff">
      <mj-column>
        <mj-text><h1 style="font-size:22px;margin:0 0 12px 0;">[[heading]]</h1>
          <p>""" + HELLO + """</p><p>[[intro]]</p></mj-text>
[[content]]
      </mj-column>
    </mj-section>
[[sections]]
    <mj-section>
      <mj-column>
        <mj-text css-class="muted">[[help]]{% if links.preferences %}<br /><a href="{{ links.preferences }}">[[preferences]]</a>{% endif %}{% if links.unsubscribe %}<br /><a href="{{ links.unsubscribe }}">[[unsubscribe]]</a>{% endif %}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""

_LINES = """        <mj-table>
          <tr style="border-bottom:1px solid #dddddd;text-align:left;">
            <th>[[item]]</th><th style="text-align:right;">[[qty]]</th><th style="text-align:right;">[[total]]</th>
          </tr>
          {% for line in order.lines %}<tr>
            <td>{{ line.title }}</td><td style="text-align:right;">{{ line.quantity }}</td>
            <td style="text-align:right;">{{ line.total_minor | money(order.currency) }}</td>
          </tr>{% endfor %}
          <tr><td colspan="2">[[shipping]]</td><td style="text-align:right;">{{ order.shipping_minor | money(order.currency) }}</td></tr>
          <tr style="font-weight:bold;"><td colspan="2">[[total]]</td><td style="text-align:right;">{{ order.total_minor | money(order.currency) }}</td></tr>
        </mj-table>
        {% if order.ship_city %}<mj-text><strong>[[ship_to]]</strong><br />{{ order.ship_name or '' }}<br />{{ order.ship_address1 or '' }}<br />{{ order.ship_postal_code or '' }} {{ order.ship_city }}</mj-text>{% endif %}"""

TRACK = """        {% if shipment.tracking_number %}<mj-text>[[tracking_number]]: <strong>{{ shipment.tracking_number }}</strong>{% if shipment.expected_by %}<br />[[expected]]{% endif %}</mj-text>{% endif %}
        {% if shipment.tracking_url %}<mj-button background-color="{{ store.brand_accent }}" href="{{ shipment.tracking_url }}">[[button]]</mj-button>{% endif %}"""

_CARE = """    {% if care %}<mj-section background-color="#ffffff">
      <mj-column>
        <mj-text><h2 style="font-size:18px;margin:0;">[[care_heading]]</h2></mj-text>
        {% for item in care %}<mj-text><strong>{{ item.title }}</strong><br />{{ item.care or '' }} {{ item.howto or '' }}</mj-text>{% endfor %}
      </mj-column>
    </mj-section>{% endif %}
    {% if recommendations %}<mj-section background-color="#ffffff">
      <mj-column>
        <mj-text><h2 style="font-size:18px;margin:0;">[[recs_heading]]</h2></mj-text>
        {% for product in recommendations %}<mj-text>{{ product.title }}{% if product.price_minor is not none %} &middot; {{ product.price_minor | money(product.currency) }}{% endif %}</mj-text>{% endfor %}
      </mj-column>
    </mj-section>{% endif %}"""

# Text parts render with trim_blocks: the newline after a block tag is dropped, so
# block tags sit on lines of their own.
HELLO_TEXT = HELLO + "\n\n"
_TEXT = {
    "order_confirmation": """[[heading]]

""" + HELLO_TEXT + """
[[intro]]

{% for line in order.lines %}
{{ line.quantity }} x {{ line.title }}  {{ line.total_minor | money(order.currency) }}
{% endfor %}
[[shipping]]: {{ order.shipping_minor | money(order.currency) }}
[[total]]: {{ order.total_minor | money(order.currency) }}
""",
    "shipment_shipped": """[[heading]]

""" + HELLO_TEXT + """
[[intro]]

{% if shipment.tracking_number %}
[[tracking_number]]: {{ shipment.tracking_number }}
{% endif %}
{% if shipment.expected_by %}
[[expected]]
{% endif %}
{% if shipment.tracking_url %}
[[button]]: {{ shipment.tracking_url }}
{% endif %}
""",
    "shipment_delivered": """[[heading]]

""" + HELLO_TEXT + """
[[intro]]
{% if care %}

[[care_heading]]
{% for item in care %}
- {{ item.title }}: {{ item.care or '' }} {{ item.howto or '' }}
{% endfor %}
{% endif %}
{% if recommendations %}

[[recs_heading]]
{% for product in recommendations %}
- {{ product.title }}
{% endfor %}
{% endif %}
""",
}
TEXT_FOOTER = """
--
[[help]]
{% if links.preferences %}
[[preferences]]: {{ links.preferences }}
{% endif %}
{% if links.unsubscribe %}
[[unsubscribe]]: {{ links.unsubscribe }}
{% endif %}
"""

_CONTENT = {
    "order_confirmation": (_LINES, ""),
    "shipment_shipped": (TRACK, ""),
    "shipment_delivered": ("", _CARE),
}

_EXPECTED = "{{ shipment.expected_by | date }}"
_SUPPORT = "{{ store.support_email or '' }}"

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "hello_name": "Hi {{ customer.first_name }},", "hello": "Hello,",
        "help": "Questions? Just reply to this email. " + _SUPPORT, "unsubscribe": "Unsubscribe",
        "preferences": "Manage your preferences",
        "item": "Item", "qty": "Qty", "total": "Total", "shipping": "Shipping",
        "ship_to": "Shipping to",
        "order_confirmation.subject": "Your order {{ order.number }} is confirmed",
        "order_confirmation.heading": "Thank you for your order!",
        "order_confirmation.intro": "We have received your order {{ order.number }} and are "
                                    "getting it ready.",
        "order_confirmation.sms": "{{ store.name }}: thanks for your order {{ order.number }}! "
                                  "We'll let you know when it ships.",
        "shipment_shipped.subject": "Your order {{ order.number }} is on its way",
        "shipment_shipped.heading": "Your parcel is on its way",
        "shipment_shipped.intro": "Your order {{ order.number }} has left our warehouse"
                                  "{% if shipment.carrier_name %} with {{ shipment.carrier_name }}"
                                  "{% endif %}.",
        "tracking_number": "Tracking number", "expected": "Expected delivery: " + _EXPECTED,
        "button": "Track your parcel",
        "shipment_shipped.sms": "{{ store.name }}: your order {{ order.number }} is on its way. "
                                "Track it: {{ shipment.tracking_url }}",
        "shipment_delivered.subject": "Your order {{ order.number }} has arrived",
        "shipment_delivered.heading": "Delivered!",
        "shipment_delivered.intro": "Your order {{ order.number }} was delivered. We hope you "
                                    "enjoy it.",
        "care_heading": "Getting the most out of it", "recs_heading": "You might also like",
        "shipment_delivered.sms": "{{ store.name }}: your order {{ order.number }} was "
                                  "delivered. Enjoy!",
    },
    "de": {
        "hello_name": "Hallo {{ customer.first_name }},", "hello": "Hallo,",
        "help": "Fragen? Antworten Sie einfach auf diese E-Mail. " + _SUPPORT,
        "unsubscribe": "Abmelden", "preferences": "Einstellungen verwalten",
        "item": "Artikel", "qty": "Menge", "total": "Summe", "shipping": "Versand",
        "ship_to": "Lieferadresse",
        "order_confirmation.subject": "Ihre Bestellung {{ order.number }} ist bestätigt",
        "order_confirmation.heading": "Vielen Dank für Ihre Bestellung!",
        "order_confirmation.intro": "Wir haben Ihre Bestellung {{ order.number }} erhalten und "
                                    "bereiten sie vor.",
        "order_confirmation.sms": "{{ store.name }}: Danke für Ihre Bestellung "
                                  "{{ order.number }}! Wir melden uns, sobald sie versendet wird.",
        "shipment_shipped.subject": "Ihre Bestellung {{ order.number }} ist unterwegs",
        "shipment_shipped.heading": "Ihr Paket ist unterwegs",
        "shipment_shipped.intro": "Ihre Bestellung {{ order.number }} hat unser Lager verlassen"
                                  "{% if shipment.carrier_name %}, mit {{ shipment.carrier_name }}"
                                  "{% endif %}.",
        "tracking_number": "Sendungsnummer",
        "expected": "Voraussichtliche Zustellung: " + _EXPECTED,
        "button": "Sendung verfolgen",
        "shipment_shipped.sms": "{{ store.name }}: Ihre Bestellung {{ order.number }} ist "
                                "unterwegs. Verfolgen: {{ shipment.tracking_url }}",
        "shipment_delivered.subject": "Ihre Bestellung {{ order.number }} ist angekommen",
        "shipment_delivered.heading": "Zugestellt!",
        "shipment_delivered.intro": "Ihre Bestellung {{ order.number }} wurde zugestellt. "
                                    "Viel Freude damit!",
        "care_heading": "Pflege- und Anwendungstipps",
        "recs_heading": "Das könnte Ihnen auch gefallen",
        "shipment_delivered.sms": "{{ store.name }}: Ihre Bestellung {{ order.number }} wurde "
                                  "zugestellt. Viel Freude damit!",
    },
    "fr": {
        "hello_name": "Bonjour {{ customer.first_name }},", "hello": "Bonjour,",
        "help": "Une question ? Répondez simplement à cet e-mail. " + _SUPPORT,
        "unsubscribe": "Se désabonner", "preferences": "Gérer mes préférences",
        "item": "Article", "qty": "Qté", "total": "Total", "shipping": "Livraison",
        "ship_to": "Adresse de livraison",
        "order_confirmation.subject": "Votre commande {{ order.number }} est confirmée",
        "order_confirmation.heading": "Merci pour votre commande !",
        "order_confirmation.intro": "Nous avons bien reçu votre commande {{ order.number }} et "
                                    "la préparons.",
        "order_confirmation.sms": "{{ store.name }} : merci pour votre commande "
                                  "{{ order.number }} ! Nous vous dirons quand elle part.",
        "shipment_shipped.subject": "Votre commande {{ order.number }} est en route",
        "shipment_shipped.heading": "Votre colis est en route",
        "shipment_shipped.intro": "Votre commande {{ order.number }} a quitté notre entrepôt"
                                  "{% if shipment.carrier_name %}, avec {{ shipment.carrier_name }}"
                                  "{% endif %}.",
        "tracking_number": "Numéro de suivi", "expected": "Livraison prévue : " + _EXPECTED,
        "button": "Suivre mon colis",
        "shipment_shipped.sms": "{{ store.name }} : votre commande {{ order.number }} est en "
                                "route. Suivi : {{ shipment.tracking_url }}",
        "shipment_delivered.subject": "Votre commande {{ order.number }} est arrivée",
        "shipment_delivered.heading": "Livré !",
        "shipment_delivered.intro": "Votre commande {{ order.number }} a été livrée. Nous "
                                    "espérons qu'elle vous plaira.",
        "care_heading": "Conseils d'entretien et d'utilisation",
        "recs_heading": "Vous aimerez aussi",
        "shipment_delivered.sms": "{{ store.name }} : votre commande {{ order.number }} a été "
                                  "livrée. Bonne journée !",
    },
    "pt_BR": {
        "hello_name": "Olá, {{ customer.first_name }}!", "hello": "Olá!",
        "help": "Dúvidas? É só responder a este e-mail. " + _SUPPORT,
        "unsubscribe": "Cancelar inscrição",
        "preferences": "Gerenciar preferências",
        "item": "Item", "qty": "Qtd.", "total": "Total", "shipping": "Frete",
        "ship_to": "Endereço de entrega",
        "order_confirmation.subject": "Seu pedido {{ order.number }} foi confirmado",
        "order_confirmation.heading": "Obrigado pela sua compra!",
        "order_confirmation.intro": "Recebemos seu pedido {{ order.number }} e já estamos "
                                    "preparando tudo.",
        "order_confirmation.sms": "{{ store.name }}: obrigado pelo pedido {{ order.number }}! "
                                  "Avisaremos quando for enviado.",
        "shipment_shipped.subject": "Seu pedido {{ order.number }} está a caminho",
        "shipment_shipped.heading": "Seu pacote está a caminho",
        "shipment_shipped.intro": "Seu pedido {{ order.number }} saiu do nosso depósito"
                                  "{% if shipment.carrier_name %} com {{ shipment.carrier_name }}"
                                  "{% endif %}.",
        "tracking_number": "Código de rastreio", "expected": "Entrega prevista: " + _EXPECTED,
        "button": "Rastrear pedido",
        "shipment_shipped.sms": "{{ store.name }}: seu pedido {{ order.number }} foi enviado. "
                                "Rastreie: {{ shipment.tracking_url }}",
        "shipment_delivered.subject": "Seu pedido {{ order.number }} foi entregue",
        "shipment_delivered.heading": "Entregue!",
        "shipment_delivered.intro": "Seu pedido {{ order.number }} foi entregue. Esperamos que "
                                    "você goste!",
        "care_heading": "Dicas de cuidado e uso", "recs_heading": "Você também pode gostar",
        "shipment_delivered.sms": "{{ store.name }}: seu pedido {{ order.number }} foi "
                                  "entregue. Aproveite!",
    },
}


def _fill(text: str, locale: str) -> str:
    out = text.replace("[[lang]]", locale.split("_")[0])
    for _ in range(2):  # a phrase may hold another phrase's slot
        for name, value in PHRASES[locale].items():
            out = out.replace(f"[[{name}]]", value)
    if "[[" in out:
        raise KeyError(f"unfilled slot in built-in template for {locale}: {out!r:.200}")
    return out


@lru_cache(maxsize=256)
def source(key: str, channel: str, locale: str) -> tuple[str | None, str, str | None] | None:
    """(subject, body, text_body) of one of messaging's built-ins, or None."""
    if key not in KEYS or locale not in PHRASES:
        return None
    if channel == "sms":
        return None, _fill(f"[[{key}.sms]]", locale), None
    if channel != "email":
        return None
    content, sections = _CONTENT[key]
    body = (LAYOUT.replace("[[content]]", content).replace("[[sections]]", sections)
            .replace("[[heading]]", f"[[{key}.heading]]").replace("[[intro]]", f"[[{key}.intro]]")
            .replace("[[preview]]", f"[[{key}.heading]]"))
    text = (_TEXT[key] + TEXT_FOOTER).replace("[[heading]]", f"[[{key}.heading]]").replace(
        "[[intro]]", f"[[{key}.intro]]")
    return _fill(f"[[{key}.subject]]", locale), _fill(body, locale), _fill(text, locale)


template_registry.register(KEYS, source)
