"""A metric source's cron line read as Celery's schedule: the model validates it with this,
and the sweeper asks it when a source's pull was due. No service is imported here, so the
models can use it.
"""

from celery.schedules import crontab


def source_crontab(line: str, **options):
    """A cron line as Celery's schedule; ValueError names what is wrong with it."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError("a cron line has five fields, e.g. '0 * * * *' for every hour")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(minute, hour, day_of_week, day_of_month, month_of_year, **options)
