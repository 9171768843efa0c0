"""Every email's footer links to the shopper's preference centre, unwrapped by the
click redirect, in both parts."""

from __future__ import annotations

from afterward.messaging.runtime import current
from afterward.messaging.tokens import PREFERENCES
from tests.messaging.conftest import queue, run_jobs, shop


def test_a_transactional_email_links_to_the_preference_centre(db, store, smtp):
    customer_id, order_id, _, _ = shop(db, store.id)
    message_id = queue(db, store.id, customer_id=customer_id, category="order_confirmation",
                       template_key="order_confirmation", refs={"order_id": order_id})

    run_jobs(db)

    [mail] = smtp.mailbox.messages
    url = current().links.preferences_url(message_id)
    assert url.startswith("https://shop.example/preferences/")
    assert current().links.read(PREFERENCES, url.rsplit("/", 1)[1]) == (message_id, None)
    assert f'href="{url}">Manage your preferences</a>' in mail.get_body(("html",)).get_content()
    assert f"Manage your preferences: {url}" in mail.get_body(("plain",)).get_content()
