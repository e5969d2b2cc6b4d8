"""Conversations: who owns a chat (the bot, the queue, an agent), its stored
messages, and the routing of queued chats to agents. Pure core: no aiohttp,
no socketio; the live-chat hub (``livechat/``) is the adapter around it."""
