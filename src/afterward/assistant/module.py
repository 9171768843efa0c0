"""The assistant: conversations, answers from data, confirmed actions, hand-off."""

from afterward.modules import Module

MODULE = Module(
    name="assistant",
    tables=("afterward.assistant.models",),
    privacy="afterward.assistant.privacy",
    events=("conversation.opened",),
)
