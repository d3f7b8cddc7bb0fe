# One form for each kind of date a person reads (scoreboard/formatting.py). Anything not named
# here stays Django's en-GB format: DATE_FORMAT "j M Y" (5 Dec 2026), YEAR_MONTH_FORMAT "F Y"
# (December 2026), a point for decimals and a comma between thousands.
DATE_FORMAT = "j M Y"  # 5 Dec 2026
# A 24-hour clock, as the ExCo's papers write it, not en-GB's "2:30 p.m.".
TIME_FORMAT = "H:i"  # 14:05
DATETIME_FORMAT = "j M Y H:i"  # 5 Dec 2026 14:05
YEAR_MONTH_FORMAT = "F Y"  # December 2026
