"""The expert console: experts take over live chats, handle callbacks and (coordinators) see figures.

Mounted on the gateway at /console/ by `bot.console.app.attach`; accounts are made on the command
line with `python -m bot.console`.
"""
