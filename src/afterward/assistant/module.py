"""The assistant: understanding (intents.py, entities.py), conversations, answers from
data, confirmed actions, hand-off; its CLI (`afterward assistant eval-intents`)."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="assistant",
    tables=("afterward.assistant.models", "afterward.assistant.embeds"),
    api=("afterward.api.assistant:router",),
    pages=("afterward.web.pages.assistant:router", "afterward.web.pages.assistant_embed:router"),
    # the stats page first: /admin/conversations/stats before /conversations/{id}
    admin=("afterward.web.admin.assistant_stats:router",
           "afterward.web.admin.conversations:router"),
    nav=(NavEntry(N_("Conversations"), "/admin/conversations", "conversations", 42),),
    privacy="afterward.assistant.privacy",
    message_sources=("afterward.assistant",),
    message_parts=("afterward.assistant.message_part",),
    journeys=("afterward.assistant.journeys",),
    cli=(("assistant", "afterward.cli.assistant:app"),),
    events=("conversation.opened", "conversation.replied", "conversation.closed",
            "assistant.return_started", "assistant.cancel_requested",
            "assistant.address_change_requested", "assistant.tracking_link_requested",
            "assistant.unsubscribed"),
)
