"""What the assistant says, in the shopper's language (en, de, fr, pt_BR): one template
per phrase and language, filled with facts read from the data (never anything else).
A small table of its own rather than the shared catalogues: the replies are the
assistant's and are reviewed together here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_time
from babel.numbers import format_currency, get_currency_precision

LANGUAGES = ("en", "de", "fr", "pt_BR")
_BY_PRIMARY = {"en": "en", "de": "de", "fr": "fr", "pt": "pt_BR"}

T: dict[str, dict[str, str]] = {
    "ask_order": {
        "en": "I can look that up. Please give me your order number and the email address "
              "(or postal code) you ordered with.",
        "de": "Das sehe ich gerne nach. Bitte nennen Sie mir Ihre Bestellnummer und die "
              "E-Mail-Adresse (oder Postleitzahl) Ihrer Bestellung.",
        "fr": "Je peux vérifier. Donnez-moi votre numéro de commande et l'adresse e-mail "
              "(ou le code postal) utilisée pour la commande.",
        "pt_BR": "Posso verificar. Informe o número do pedido e o e-mail (ou CEP) usado "
                 "na compra."},
    "not_found": {
        "en": "I couldn't find an order with those details. Please check the order number "
              "and the email address or postal code.",
        "de": "Ich habe keine Bestellung mit diesen Angaben gefunden. Bitte prüfen Sie die "
              "Bestellnummer und die E-Mail-Adresse oder Postleitzahl.",
        "fr": "Je n'ai pas trouvé de commande avec ces informations. Vérifiez le numéro de "
              "commande et l'adresse e-mail ou le code postal.",
        "pt_BR": "Não encontrei um pedido com esses dados. Confira o número do pedido e o "
                 "e-mail ou CEP."},
    "not_shipped": {
        "en": "Order {number} has not shipped yet. You will get the tracking link as soon "
              "as it does.",
        "de": "Bestellung {number} wurde noch nicht versandt. Sie erhalten den "
              "Sendungslink, sobald sie unterwegs ist.",
        "fr": "La commande {number} n'est pas encore expédiée. Vous recevrez le lien de "
              "suivi dès son expédition.",
        "pt_BR": "O pedido {number} ainda não foi enviado. Você receberá o link de "
                 "rastreamento assim que for."},
    "status": {
        "en": "Your parcel for order {number} is {status}.",
        "de": "Ihr Paket zur Bestellung {number}: {status}.",
        "fr": "Votre colis de la commande {number} : {status}.",
        "pt_BR": "Seu pacote do pedido {number}: {status}."},
    "last_scan": {
        "en": "Last scan: {message}, {location}, {when}.",
        "de": "Letzter Scan: {message}, {location}, {when}.",
        "fr": "Dernier scan : {message}, {location}, {when}.",
        "pt_BR": "Último registro: {message}, {location}, {when}."},
    "last_scan_nowhere": {
        "en": "Last scan: {message}, {when}.",
        "de": "Letzter Scan: {message}, {when}.",
        "fr": "Dernier scan : {message}, {when}.",
        "pt_BR": "Último registro: {message}, {when}."},
    "no_scan": {
        "en": "The carrier has not scanned it yet.",
        "de": "Der Versanddienstleister hat es noch nicht gescannt.",
        "fr": "Le transporteur ne l'a pas encore scanné.",
        "pt_BR": "A transportadora ainda não registrou o pacote."},
    "window": {
        "en": "Estimated delivery: {window}.",
        "de": "Voraussichtliche Zustellung: {window}.",
        "fr": "Livraison estimée : {window}.",
        "pt_BR": "Entrega prevista: {window}."},
    "no_window": {
        "en": "I don't have a delivery estimate for it yet.",
        "de": "Für dieses Paket liegt noch keine Lieferschätzung vor.",
        "fr": "Je n'ai pas encore d'estimation de livraison pour ce colis.",
        "pt_BR": "Ainda não tenho uma previsão de entrega para ele."},
    "late": {
        "en": "It is running late: we promised delivery by {promised}, the new estimate is "
              "{window}. We are sorry.",
        "de": "Es verspätet sich: Wir hatten die Zustellung bis {promised} zugesagt, neu "
              "erwartet: {window}. Das tut uns leid.",
        "fr": "Il est en retard : nous avions promis une livraison avant le {promised}, "
              "nouvelle estimation : {window}. Nous en sommes désolés.",
        "pt_BR": "Está atrasado: prometemos a entrega até {promised}, a nova previsão é "
                 "{window}. Pedimos desculpas."},
    "delivered_on": {
        "en": "It was delivered on {when}.",
        "de": "Es wurde am {when} zugestellt.",
        "fr": "Il a été livré le {when}.",
        "pt_BR": "Foi entregue em {when}."},
    "propose_return": {
        "en": "Shall I start a return of everything in order {number}, for a refund? "
              "Confirm and I will do it, or choose items in the returns portal.",
        "de": "Soll ich eine Rücksendung aller Artikel der Bestellung {number} mit "
              "Erstattung anlegen? Bestätigen Sie, oder wählen Sie Artikel im Rückgabeportal.",
        "fr": "Voulez-vous que je crée un retour de toute la commande {number}, avec "
              "remboursement ? Confirmez, ou choisissez les articles sur le portail de retour.",
        "pt_BR": "Quer que eu abra a devolução de todos os itens do pedido {number}, com "
                 "reembolso? Confirme, ou escolha os itens no portal de devoluções."},
    "return_started": {
        "en": "Your return {rma} is {status}. The return page has the next steps.",
        "de": "Ihre Rücksendung {rma}: {status}. Die nächsten Schritte stehen auf der "
              "Rücksendeseite.",
        "fr": "Votre retour {rma} : {status}. La page du retour indique la suite.",
        "pt_BR": "Sua devolução {rma}: {status}. A página da devolução mostra os próximos "
                 "passos."},
    "return_refused": {
        "en": "I couldn't start that return here ({reason}). The returns portal shows what "
              "can be returned.",
        "de": "Diese Rücksendung konnte ich hier nicht anlegen ({reason}). Das "
              "Rückgabeportal zeigt, was zurückgegeben werden kann.",
        "fr": "Je n'ai pas pu créer ce retour ici ({reason}). Le portail de retour indique "
              "ce qui peut être retourné.",
        "pt_BR": "Não consegui abrir essa devolução aqui ({reason}). O portal de devoluções "
                 "mostra o que pode ser devolvido."},
    "no_returns": {
        "en": "There is no return for order {number} yet.",
        "de": "Zur Bestellung {number} gibt es noch keine Rücksendung.",
        "fr": "Il n'y a pas encore de retour pour la commande {number}.",
        "pt_BR": "Ainda não há devolução para o pedido {number}."},
    "refund": {
        "en": "Return {rma}: {status}. Refund: {amount}.",
        "de": "Rücksendung {rma}: {status}. Erstattung: {amount}.",
        "fr": "Retour {rma} : {status}. Remboursement : {amount}.",
        "pt_BR": "Devolução {rma}: {status}. Reembolso: {amount}."},
    "credit": {
        "en": "Return {rma}: {status}. Store credit: {amount}.",
        "de": "Rücksendung {rma}: {status}. Guthaben: {amount}.",
        "fr": "Retour {rma} : {status}. Avoir : {amount}.",
        "pt_BR": "Devolução {rma}: {status}. Crédito na loja: {amount}."},
    "return_plain": {
        "en": "Return {rma}: {status}.",
        "de": "Rücksendung {rma}: {status}.",
        "fr": "Retour {rma} : {status}.",
        "pt_BR": "Devolução {rma}: {status}."},
    "policy": {
        "en": "You can return items within {days} days of delivery, for {resolutions}.",
        "de": "Sie können Artikel innerhalb von {days} Tagen nach Zustellung zurückgeben, "
              "gegen {resolutions}.",
        "fr": "Vous pouvez retourner des articles dans les {days} jours suivant la "
              "livraison, contre {resolutions}.",
        "pt_BR": "Você pode devolver itens em até {days} dias após a entrega, por "
                 "{resolutions}."},
    "policy_until": {
        "en": "For order {number} that is until {day}.",
        "de": "Für Bestellung {number} also bis {day}.",
        "fr": "Pour la commande {number}, c'est jusqu'au {day}.",
        "pt_BR": "Para o pedido {number}, isso vai até {day}."},
    "policy_fee": {
        "en": "A {resolution} costs a fee of {amount}.",
        "de": "Für {resolution} fällt eine Gebühr von {amount} an.",
        "fr": "Un {resolution} coûte {amount} de frais.",
        "pt_BR": "{resolution} tem uma taxa de {amount}."},
    "cancel_shipped": {
        "en": "Order {number} has already shipped, so it can no longer be cancelled. You "
              "can return it once it arrives.",
        "de": "Bestellung {number} ist bereits versandt und kann nicht mehr storniert "
              "werden. Sie können sie nach Erhalt zurücksenden.",
        "fr": "La commande {number} est déjà expédiée et ne peut plus être annulée. Vous "
              "pourrez la retourner à réception.",
        "pt_BR": "O pedido {number} já foi enviado e não pode mais ser cancelado. Você "
                 "pode devolvê-lo quando chegar."},
    "cancel_propose": {
        "en": "Shall I ask the team to cancel order {number}? Confirm and I will pass it on.",
        "de": "Soll ich das Team bitten, Bestellung {number} zu stornieren? Bestätigen Sie, "
              "dann gebe ich es weiter.",
        "fr": "Voulez-vous que je demande à l'équipe d'annuler la commande {number} ? "
              "Confirmez et je transmets.",
        "pt_BR": "Quer que eu peça à equipe para cancelar o pedido {number}? Confirme e eu "
                 "repasso."},
    "cancel_done": {
        "en": "I have asked the team to cancel order {number}. A person will confirm it "
              "by email.",
        "de": "Ich habe das Team gebeten, Bestellung {number} zu stornieren. Sie erhalten "
              "eine Bestätigung per E-Mail.",
        "fr": "J'ai demandé à l'équipe d'annuler la commande {number}. Une personne vous "
              "confirmera par e-mail.",
        "pt_BR": "Pedi à equipe para cancelar o pedido {number}. Uma pessoa vai confirmar "
                 "por e-mail."},
    "address_shipped": {
        "en": "Order {number} has already shipped, so its delivery address can no longer "
              "be changed.",
        "de": "Bestellung {number} ist bereits versandt, die Lieferadresse kann nicht mehr "
              "geändert werden.",
        "fr": "La commande {number} est déjà expédiée, son adresse de livraison ne peut "
              "plus être modifiée.",
        "pt_BR": "O pedido {number} já foi enviado, então o endereço de entrega não pode "
                 "mais ser alterado."},
    "address_propose": {
        "en": "Shall I ask the team to change the delivery address of order {number} to "
              "the one you wrote? Confirm and I will pass it on.",
        "de": "Soll ich das Team bitten, die Lieferadresse der Bestellung {number} auf die "
              "von Ihnen genannte zu ändern? Bestätigen Sie, dann gebe ich es weiter.",
        "fr": "Voulez-vous que je demande à l'équipe de changer l'adresse de livraison de "
              "la commande {number} pour celle indiquée ? Confirmez et je transmets.",
        "pt_BR": "Quer que eu peça à equipe para mudar o endereço de entrega do pedido "
                 "{number} para o que você escreveu? Confirme e eu repasso."},
    "address_done": {
        "en": "I have asked the team to change the delivery address of order {number}. A "
              "person will confirm it by email.",
        "de": "Ich habe das Team gebeten, die Lieferadresse der Bestellung {number} zu "
              "ändern. Sie erhalten eine Bestätigung per E-Mail.",
        "fr": "J'ai demandé à l'équipe de changer l'adresse de livraison de la commande "
              "{number}. Une personne vous confirmera par e-mail.",
        "pt_BR": "Pedi à equipe para mudar o endereço de entrega do pedido {number}. Uma "
                 "pessoa vai confirmar por e-mail."},
    "handoff": {
        "en": "I have passed this conversation to a person on our team. They will answer "
              "here and by email.",
        "de": "Ich habe das Gespräch an eine Person aus unserem Team übergeben. Sie "
              "antwortet hier und per E-Mail.",
        "fr": "J'ai transmis cette conversation à une personne de notre équipe. Elle vous "
              "répondra ici et par e-mail.",
        "pt_BR": "Passei esta conversa para uma pessoa da nossa equipe. Ela vai responder "
                 "aqui e por e-mail."},
    "waiting": {
        "en": "A person on our team has this conversation and will answer here and by "
              "email.",
        "de": "Eine Person aus unserem Team kümmert sich um dieses Gespräch und antwortet "
              "hier und per E-Mail.",
        "fr": "Une personne de notre équipe suit cette conversation et vous répondra ici "
              "et par e-mail.",
        "pt_BR": "Uma pessoa da nossa equipe está com esta conversa e vai responder aqui "
                 "e por e-mail."},
    "other": {
        "en": "I can't help with that here. If you like, I can pass you to a person: just "
              "ask.",
        "de": "Dabei kann ich hier nicht helfen. Wenn Sie möchten, verbinde ich Sie mit "
              "einer Person: fragen Sie einfach.",
        "fr": "Je ne peux pas vous aider pour cela ici. Si vous le souhaitez, je vous "
              "passe une personne : demandez-le simplement.",
        "pt_BR": "Não consigo ajudar com isso aqui. Se quiser, passo você para uma pessoa: "
                 "é só pedir."},
    "review": {
        "en": "Thank you! You can write your review of order {number} here.",
        "de": "Danke! Ihre Bewertung der Bestellung {number} können Sie hier schreiben.",
        "fr": "Merci ! Vous pouvez écrire votre avis sur la commande {number} ici.",
        "pt_BR": "Obrigado! Você pode escrever sua avaliação do pedido {number} aqui."},
    "loyalty": {
        "en": "You have {points} points ({pending} pending).",
        "de": "Sie haben {points} Punkte ({pending} noch ausstehend).",
        "fr": "Vous avez {points} points ({pending} en attente).",
        "pt_BR": "Você tem {points} pontos ({pending} pendentes)."},
    "loyalty_buys": {
        "en": "They buy: {rewards}.",
        "de": "Dafür bekommen Sie: {rewards}.",
        "fr": "Ils vous offrent : {rewards}.",
        "pt_BR": "Eles valem: {rewards}."},
    "loyalty_short": {
        "en": "Not enough for a reward yet: {reward} needs {short} more points.",
        "de": "Noch reicht es für keine Prämie: {reward} braucht {short} Punkte mehr.",
        "fr": "Pas encore assez pour une récompense : {reward} demande {short} points de "
              "plus.",
        "pt_BR": "Ainda não dá para uma recompensa: {reward} precisa de mais {short} "
                 "pontos."},
    "no_loyalty": {
        "en": "I can't find loyalty points for this order's customer.",
        "de": "Ich finde keine Treuepunkte für die Kundin oder den Kunden dieser Bestellung.",
        "fr": "Je ne trouve pas de points de fidélité pour le client de cette commande.",
        "pt_BR": "Não encontrei pontos de fidelidade para o cliente deste pedido."},
    "unsubscribe_propose": {
        "en": "Shall I unsubscribe you from our marketing emails? Order and delivery emails "
              "still come. Confirm and I will do it.",
        "de": "Soll ich Sie von unseren Werbe-E-Mails abmelden? Bestell- und Versand-E-Mails "
              "erhalten Sie weiter. Bestätigen Sie, dann erledige ich es.",
        "fr": "Voulez-vous que je vous désabonne de nos e-mails marketing ? Les e-mails de "
              "commande et de livraison continuent. Confirmez et je le fais.",
        "pt_BR": "Quer que eu cancele sua inscrição nos e-mails de marketing? Os e-mails "
                 "de pedido e entrega continuam. Confirme e eu faço."},
    "unsubscribed": {
        "en": "Done: you will no longer get our marketing emails.",
        "de": "Erledigt: Sie erhalten keine Werbe-E-Mails mehr von uns.",
        "fr": "C'est fait : vous ne recevrez plus nos e-mails marketing.",
        "pt_BR": "Pronto: você não receberá mais nossos e-mails de marketing."},
    "resend_done": {
        "en": "I have asked for the tracking link of order {number} to be emailed to you "
              "again.",
        "de": "Ich habe veranlasst, dass Ihnen der Sendungslink zur Bestellung {number} "
              "erneut gemailt wird.",
        "fr": "J'ai demandé que le lien de suivi de la commande {number} vous soit renvoyé "
              "par e-mail.",
        "pt_BR": "Pedi para reenviar por e-mail o link de rastreamento do pedido {number}."},
    "no_customer": {
        "en": "I can't do that here for this order. I can pass you to a person: just ask.",
        "de": "Das kann ich für diese Bestellung hier nicht erledigen. Ich kann Sie mit "
              "einer Person verbinden: fragen Sie einfach.",
        "fr": "Je ne peux pas le faire ici pour cette commande. Je peux vous passer une "
              "personne : demandez-le simplement.",
        "pt_BR": "Não consigo fazer isso aqui para este pedido. Posso passar você para uma "
                 "pessoa: é só pedir."},
    "nothing_to_confirm": {
        "en": "There is nothing waiting for your confirmation.",
        "de": "Es wartet nichts auf Ihre Bestätigung.",
        "fr": "Rien n'attend votre confirmation.",
        "pt_BR": "Não há nada esperando sua confirmação."},
    "closed": {
        "en": "Thank you for talking to us. How happy are you with the help you got, "
              "from 1 to 5?",
        "de": "Danke für das Gespräch. Wie zufrieden sind Sie mit der Hilfe, von 1 bis 5?",
        "fr": "Merci pour cet échange. Êtes-vous satisfait de l'aide reçue, de 1 à 5 ?",
        "pt_BR": "Obrigado pela conversa. Qual sua satisfação com o atendimento, de 1 a 5?"},
    "thanks": {
        "en": "Thank you for your answer.", "de": "Danke für Ihre Antwort.",
        "fr": "Merci pour votre réponse.", "pt_BR": "Obrigado pela sua resposta."},
    # Action labels
    "do_return": {"en": "Yes, start the return", "de": "Ja, Rücksendung anlegen",
                  "fr": "Oui, créer le retour", "pt_BR": "Sim, abrir a devolução"},
    "do_cancel": {"en": "Yes, ask to cancel", "de": "Ja, Stornierung anfragen",
                  "fr": "Oui, demander l'annulation", "pt_BR": "Sim, pedir o cancelamento"},
    "do_address": {"en": "Yes, ask to change the address", "de": "Ja, Adressänderung anfragen",
                   "fr": "Oui, demander le changement", "pt_BR": "Sim, pedir a mudança"},
    "do_unsubscribe": {"en": "Yes, unsubscribe me", "de": "Ja, abmelden",
                       "fr": "Oui, me désabonner", "pt_BR": "Sim, cancelar inscrição"},
    "do_resend": {"en": "Email me the tracking link again", "de": "Sendungslink erneut mailen",
                  "fr": "Me renvoyer le lien de suivi",
                  "pt_BR": "Reenviar o link de rastreamento"},
    "open_portal": {"en": "Open the returns portal", "de": "Rückgabeportal öffnen",
                    "fr": "Ouvrir le portail de retour", "pt_BR": "Abrir o portal de devoluções"},
    "open_tracking": {"en": "Open the tracking page", "de": "Sendungsverfolgung öffnen",
                      "fr": "Ouvrir le suivi", "pt_BR": "Abrir o rastreamento"},
    "open_review": {"en": "Write a review", "de": "Bewertung schreiben",
                    "fr": "Écrire un avis", "pt_BR": "Escrever avaliação"},
    "open_loyalty": {"en": "See my points", "de": "Meine Punkte ansehen",
                     "fr": "Voir mes points", "pt_BR": "Ver meus pontos"},
    "open_return": {"en": "See the return", "de": "Rücksendung ansehen",
                    "fr": "Voir le retour", "pt_BR": "Ver a devolução"},
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "pending": {"en": "waiting to be handed to the carrier", "de": "wartet auf die Übergabe "
                "an den Versanddienstleister", "fr": "en attente de remise au transporteur",
                "pt_BR": "aguardando entrega à transportadora"},
    "info_received": {"en": "registered with the carrier", "de": "beim Versanddienstleister "
                      "angemeldet", "fr": "enregistré chez le transporteur",
                      "pt_BR": "registrado na transportadora"},
    "in_transit": {"en": "on its way", "de": "unterwegs", "fr": "en route",
                   "pt_BR": "a caminho"},
    "out_for_delivery": {"en": "out for delivery", "de": "in Zustellung",
                         "fr": "en cours de livraison", "pt_BR": "saiu para entrega"},
    "available_for_pickup": {"en": "waiting for you at the pickup point",
                             "de": "liegt zur Abholung bereit",
                             "fr": "disponible au point de retrait",
                             "pt_BR": "disponível para retirada"},
    "failed_attempt": {"en": "not delivered yet: the carrier could not deliver it",
                       "de": "noch nicht zugestellt: die Zustellung ist fehlgeschlagen",
                       "fr": "pas encore livré : la livraison a échoué",
                       "pt_BR": "ainda não entregue: a tentativa de entrega falhou"},
    "delivered": {"en": "delivered", "de": "zugestellt", "fr": "livré", "pt_BR": "entregue"},
    "exception": {"en": "held up: the carrier reported a problem",
                  "de": "aufgehalten: der Versanddienstleister meldet ein Problem",
                  "fr": "bloqué : le transporteur signale un problème",
                  "pt_BR": "retido: a transportadora informou um problema"},
    "returned_to_sender": {"en": "on its way back to us", "de": "auf dem Rückweg zu uns",
                           "fr": "en retour vers nous", "pt_BR": "voltando para nós"},
    "cancelled": {"en": "cancelled", "de": "storniert", "fr": "annulé", "pt_BR": "cancelado"},
    "expired": {"en": "no longer tracked by the carrier",
                "de": "wird vom Versanddienstleister nicht mehr verfolgt",
                "fr": "n'est plus suivi par le transporteur",
                "pt_BR": "não é mais rastreado pela transportadora"},
}

RETURN_WORDS: dict[str, dict[str, str]] = {
    "requested": {"en": "waiting for review", "de": "wird geprüft", "fr": "en cours d'examen",
                  "pt_BR": "em análise"},
    "approved": {"en": "approved", "de": "genehmigt", "fr": "approuvé", "pt_BR": "aprovada"},
    "label_issued": {"en": "approved, label ready", "de": "genehmigt, Etikett bereit",
                     "fr": "approuvé, étiquette prête", "pt_BR": "aprovada, etiqueta pronta"},
    "in_transit": {"en": "on its way back to us", "de": "auf dem Rückweg zu uns",
                   "fr": "en route vers nous", "pt_BR": "a caminho de nós"},
    "received": {"en": "received, being checked", "de": "eingetroffen, wird geprüft",
                 "fr": "reçu, en cours de vérification", "pt_BR": "recebida, em conferência"},
    "resolved": {"en": "done", "de": "abgeschlossen", "fr": "terminé", "pt_BR": "concluída"},
    "rejected": {"en": "rejected", "de": "abgelehnt", "fr": "refusé", "pt_BR": "recusada"},
}

RESOLUTION_WORDS: dict[str, dict[str, str]] = {
    "refund": {"en": "a refund", "de": "Erstattung", "fr": "un remboursement",
               "pt_BR": "reembolso"},
    "store_credit": {"en": "store credit", "de": "Guthaben", "fr": "un avoir",
                     "pt_BR": "crédito na loja"},
    "exchange": {"en": "an exchange", "de": "Umtausch", "fr": "un échange", "pt_BR": "troca"},
    "keep": {"en": "keeping the item", "de": "Behalten des Artikels",
             "fr": "la conservation de l'article", "pt_BR": "ficar com o item"},
}
_OR = {"en": " or ", "de": " oder ", "fr": " ou ", "pt_BR": " ou "}


def language_of(*candidates: str | None) -> str:
    """The first candidate we speak ('de-AT' -> 'de', 'pt' -> 'pt_BR'), else English."""
    for tag in candidates:
        if tag:
            primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
            if primary in _BY_PRIMARY:
                return _BY_PRIMARY[primary]
    return "en"


class Say:
    """Phrases, words, dates and money in one language and time zone."""

    def __init__(self, lang: str, zone: str | None) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        try:
            self.zone = ZoneInfo(zone or "UTC")
        except (KeyError, ValueError):
            self.zone = ZoneInfo("UTC")

    def __call__(self, key: str, **values: object) -> str:
        return T[key][self.lang].format(**values)

    def word(self, table: dict[str, dict[str, str]], key: str) -> str:
        return table[key][self.lang] if key in table else key

    def either(self, words: list[str]) -> str:
        return _OR[self.lang].join(words)

    def day(self, value: date) -> str:
        return format_date(value, format="long", locale=self.lang)

    def moment(self, value: datetime) -> str:
        local = value.astimezone(self.zone)
        return (f"{format_date(local.date(), format='medium', locale=self.lang)}, "
                f"{format_time(local.time(), format='HH:mm', locale=self.lang)}")

    def days(self, first: date, last: date) -> str:
        if first == last:
            return self.day(first)
        return format_interval(first, last, skeleton="yMMMMd", locale=self.lang)

    def money(self, minor: int, currency: str) -> str:
        exponent = int(get_currency_precision(currency))
        return format_currency(Decimal(minor).scaleb(-exponent), currency, locale=self.lang)


# The hand-off when a message is clearly angry (assistant/sentiment.py): after the
# answer, if there was one.
T["handoff_upset"] = {
    "en": "I'm sorry this has been frustrating. I have passed this conversation to a "
          "person on our team, who will answer here and by email.",
    "de": "Es tut mir leid, dass das so ärgerlich ist. Ich habe das Gespräch an eine "
          "Person aus unserem Team übergeben. Sie antwortet hier und per E-Mail.",
    "fr": "Je suis désolé pour ce désagrément. J'ai transmis cette conversation à une "
          "personne de notre équipe, qui vous répondra ici et par e-mail.",
    "pt_BR": "Sinto muito pelo transtorno. Passei esta conversa para uma pessoa da nossa "
             "equipe, que vai responder aqui e por e-mail."}
