"""The site's own date formats, over Django's en-GB ones (settings.FORMAT_MODULE_PATH): see
scoreboard/formatting.py for why there is one form of each."""
