"""Reading the time an announcement should go out, typed either way round ("8h30 28/11" or
"28/11 8h30"), as /thongbao asks it and as an announcement set for later is changed."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.flow import Reask
from bot.i18n import N_, _
from bot.services import Services
from bot.timeparse import WhenError, parse_when

MAX_DAYS_AHEAD = 60
EXAMPLE = N_("e.g. “8h30 28/11” or “28/11 8h30”")
_HINTS = {
    "no_date": N_("I could not find the date. Please write the day and month, e.g. “8h30 28/11”."),
    "no_time": N_("Please add the time too, e.g. “8h30 28/11” or “28/11 8h30”."),
    "bad_date": N_("That date does not exist. Please check the day and month, e.g. 28/11."),
    "bad_time": N_("That time does not exist. Please write it like 8h30 or 14:00."),
}


def read_time(services: Services, text: str) -> datetime:
    """The local date and time typed, between a minute and ``MAX_DAYS_AHEAD`` days ahead; ``Reask``
    with a hint otherwise."""
    now = services.clock.now()
    try:
        moment = parse_when(text, now.astimezone(services.settings.timezone))
    except WhenError as problem:
        raise Reask(_(_HINTS[problem.code])) from None
    if moment <= now + timedelta(minutes=1) or moment > now + timedelta(days=MAX_DAYS_AHEAD):
        raise Reask(_("Please choose a time in the future, within {days} days.").format(days=MAX_DAYS_AHEAD))
    return moment
