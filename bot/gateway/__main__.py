from bot.gateway.app import main
from bot.gateway.logs import configure

configure()  # LOG_FORMAT=json (default) or text
main()
