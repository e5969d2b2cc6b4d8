"""The live-chat hub: the website widget and technician chat on one side, the
agent console on the other, Rasa behind it. ``create_app(settings)`` builds it;
``python -m livechat`` serves it."""

from livechat.app import create_app

__all__ = ["create_app"]
