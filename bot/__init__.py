"""The gateway between the channels and Rasa (grows into web chat, Telegram and the console)."""
