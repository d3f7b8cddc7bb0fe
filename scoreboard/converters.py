"""URL converters: a month in a URL is written YYYY-MM, within the months the product speaks of
(scoreboard.months): any other is no page (404)."""

from .months import month_named


class MonthConverter:
    regex = r"[0-9]{4}-(?:0[1-9]|1[0-2])"

    def to_python(self, value: str):
        return month_named(value)  # a ValueError here makes the URL match nothing: a 404

    def to_url(self, value) -> str:
        if isinstance(value, str):
            return value
        return f"{value.year:04d}-{value.month:02d}"
