"""URL converters: a month in a URL is written YYYY-MM."""

from datetime import date


class MonthConverter:
    regex = r"[0-9]{4}-(?:0[1-9]|1[0-2])"

    def to_python(self, value: str) -> date:
        year, month = value.split("-")
        return date(int(year), int(month), 1)

    def to_url(self, value) -> str:
        if isinstance(value, str):
            return value
        return f"{value.year:04d}-{value.month:02d}"
