"""The service core: entities, the five processes as state machines, money, reports.

The core never imports rasa, aiohttp, socketio or faiss; only ``backend.api``
(the HTTP adapter) imports aiohttp.
"""
