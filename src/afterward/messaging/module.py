"""Messaging: email, SMS and webhook sending under one policy, templates, engagement."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="messaging",
    tables=("afterward.messaging.models",),
    api=("afterward.api.messaging:router", "afterward.api.messaging:public",
         "afterward.api.templates:router", "afterward.api.webhooks_messaging:router"),
    pages=("afterward.web.pages.preferences:router",),
    admin=("afterward.web.admin.messages:router",),
    nav=(NavEntry(N_("Messages"), "/admin/messages", "messages", 50),),
    jobs=("afterward.messaging.jobs",),
    webhook_listeners=("afterward.messaging.endpoints:listened",),
    configure=("afterward.messaging.runtime:configure",),
    privacy="afterward.messaging.privacy",
    templates=("afterward.messaging.builtin_templates", "afterward.messaging.module_templates"),
)
