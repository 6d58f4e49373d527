"""The gateway: one asyncio service between the channels (web chat, Telegram) and Rasa."""
