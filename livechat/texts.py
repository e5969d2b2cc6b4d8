"""What the hub itself says to customers and agents (the bot's words live in
the Rasa domain). One place, so wording is reviewed together."""

CONNECTING = "I'm connecting you with a person from our team."
BOT_DOWN = (
    "Our assistant is not available right now, so I'm passing you to a person. "
    "Nothing you wrote is lost."
)
BOT_DOWN_AFTER_HOURS = "Our assistant is not available right now, and our team is away."
AFTER_HOURS = (
    "Our team answers chats {hours}; it is outside those hours now. "
    "You can leave a message and we will get back to you."
)
LEFT_TICKET = "Thank you — your message is recorded as {ticket}. We will get back to you."
LEFT_QUEUED = "Thank you — your message is recorded. We will get back to you{how} as soon as we open."
JOINED = "{agent} joined the chat."
TRANSFERRED = "{old} passed your chat to {new}."
CLOSED_BY_AGENT = "{agent} closed the chat."
CLOSED_BY_CUSTOMER = "You ended the chat."
TICKET_REF = " Your reference is {ticket}."
BACK_TO_QUEUE = "Your chat is back in the queue; the next free person will answer."
