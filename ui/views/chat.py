"""The chat page (see ui/chat.py)."""

from ui import chat, common

chat.render(common.context())
