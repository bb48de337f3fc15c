"""Texts about sessions, built in the current language (the recipient's, inside notify)."""

from __future__ import annotations

from bot import i18n
from bot.i18n import N_, _, ngettext
from bot.model import Button, Reply
from bot.text import esc
from storage.sessions import TrainingSession

AUDIENCES = {
    "family": N_("families"),
    "officer": N_("officers"),
    "all": N_("everyone"),
}


def short(text: str, limit: int = 40) -> str:
    """``text`` cut at a word boundary to fit a button."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else text[: limit - 1]) + "…"


def button_label(session: TrainingSession) -> str:
    return f"{short(session.title)} ({i18n.local_time(session.starts_at):%d/%m})"


def audience_label(audience: str) -> str:
    return _(AUDIENCES.get(audience, audience))


def fmt_offset(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("{n} day", "{n} days", days).format(n=days)
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)


def fmt_offsets(offsets: tuple[int, ...]) -> str:
    """e.g. "1 ngày trước, và một lần nữa 2 giờ trước giờ bắt đầu"; "không nhắc" when empty."""
    if not offsets:
        return _("no reminders")
    parts = [fmt_offset(o) for o in sorted(offsets, reverse=True)]
    if len(parts) == 1:
        return _("{offsets} before the start").format(offsets=parts[0])
    # "1 day and 2 hours before" reads as one reminder 26 hours before: say there are several.
    return _("{first} before, and again {last} before the start").format(
        first=", ".join(parts[:-1]), last=parts[-1]
    )


def fmt_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    if hours:
        return ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    return ngettext("{n} minute", "{n} minutes", rest).format(n=rest)


def when_line(session: TrainingSession) -> str:
    return _("🕗 {when} ({duration})").format(
        when=i18n.fmt_datetime(session.starts_at), duration=fmt_duration(session.duration_min)
    )


def place_line(place: str) -> str:
    return _("📍 {place}").format(place=esc(place))


def session_lines(session: TrainingSession, *, description: bool = True) -> list[str]:
    lines = [f"<b>{esc(session.title)}</b>", when_line(session), place_line(session.place)]
    if description and session.description:
        lines.append(esc(session.description))
    return lines


def cancel_place_button(session_id: int) -> Button:
    return Button(
        _("Cancel my place"), f"tr:c:{session_id}", ("huy dang ky", "huy cho", "khong di", "@cancel")
    )


def reminder_reply(session: TrainingSession) -> Reply:
    lines = [_("⏰ <b>Reminder: you are signed up for a training session</b>")]
    lines += session_lines(session, description=False)
    lines.append("")
    lines.append(
        _(
            "If you cannot come, please cancel so that someone on the waiting list can take your "
            "place: tap the button below, or send /huydangky {id}."
        ).format(id=session.id)
    )
    return Reply.make("\n".join(lines), [cancel_place_button(session.id)])


def promoted_reply(session: TrainingSession) -> Reply:
    lines = [_("🎉 <b>Good news: a place has opened up for you</b>")]
    lines += session_lines(session, description=False)
    lines.append("")
    lines.append(
        _("You were on the waiting list and now have a confirmed place. I will remind you before it starts.")
    )
    lines.append(
        _("If you can no longer come, tap the button below or send /huydangky {id}.").format(id=session.id)
    )
    return Reply.make("\n".join(lines), [cancel_place_button(session.id)])


def change_reply(old: TrainingSession, new: TrainingSession) -> Reply:
    lines = [_("📢 <b>A training session you signed up for has changed</b>"), f"<b>{esc(new.title)}</b>"]
    if new.starts_at != old.starts_at or new.duration_min != old.duration_min:
        lines.append(
            _("🕗 New time: {when} ({duration})").format(
                when=i18n.fmt_datetime(new.starts_at), duration=fmt_duration(new.duration_min)
            )
        )
        lines.append(_("(was: {when})").format(when=i18n.fmt_datetime(old.starts_at)))
    else:
        lines.append(when_line(new))
    if new.place != old.place:
        lines.append(_("📍 New place: {place}").format(place=esc(new.place)))
        lines.append(_("(was: {place})").format(place=esc(old.place)))
    else:
        lines.append(place_line(new.place))
    lines.append("")
    lines.append(
        _(
            "Your sign-up still stands. If you can no longer come, tap the button below "
            "or send /huydangky {id}."
        ).format(id=new.id)
    )
    return Reply.make("\n".join(lines), [cancel_place_button(new.id)])


def cancelled_reply(session: TrainingSession) -> Reply:
    lines = [_("❌ <b>A training session you signed up for has been cancelled</b>")]
    lines += session_lines(session, description=False)
    lines.append("")
    lines.append(_("We are sorry for the inconvenience. See other sessions with /lichhoc."))
    return Reply.make("\n".join(lines))
