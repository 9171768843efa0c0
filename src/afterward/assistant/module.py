"""The assistant's declared part (so far: its CLI, `afterward assistant ...`)."""

from afterward.modules import Module

MODULE = Module(name="assistant", cli=(("assistant", "afterward.cli.assistant:app"),))
