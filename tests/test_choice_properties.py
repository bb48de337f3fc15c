"""Properties of choosing by typing (hypothesis): whatever is typed inside a choice step, the bot
never submits a choice the text does not name, and never loses the step.

"Names" is the least the matcher demands of any pick: the number of that choice in the list on
screen, or a typed word that is (or starts, or is one typo from) a word of its label or aliases;
for the "no" of a yes/no question, a negation ("ko xoá" is the no of "Có, xóa dữ liệu").
A form is left only on a command, a stop word, or an answer that says "stop" ("thôi…"), and then
what was entered is kept to go on with.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot import i18n
from bot.bootstrap import Runtime
from bot.choice import Menu, Option, buttons, match, negates, number_in, touches, translated, words
from bot.flow import RESUME_KEY
from bot.model import Incoming
from handlers.declaration.flows import SUMMARY_ACTIONS
from handlers.privacy.commands import CONFIRM_DELETE

PROPERTY = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_people = itertools.count(1)


def names(text: str, option: Option, shown: list[Option]) -> bool:
    """Whether ``text`` names ``option`` of the list ``shown`` (on screen)."""
    number = number_in(text)
    if number is not None:
        return 1 <= number <= len(shown) and shown[number - 1] == option
    digits = [int(t) for t in text.replace(",", " ").split() if t.isdigit()]
    if any(1 <= d <= len(shown) and shown[d - 1] == option for d in digits):
        return True  # "sửa 3"
    if touches(text, option):
        return True
    return option.negative and len(shown) == 2 and negates(text)


def vocabulary(options: list[Option]) -> list[str]:
    """Words of the options, of the words file, numbers, and some noise, typed both ways."""
    found: set[str] = set()
    for option in options:
        for phrase in option.phrases():
            for norm, folded in phrase.words:
                found |= {norm, folded}
    data = words()
    for phrases in (
        data.negation,
        data.fillers,
        data.question_phrases,
        data.intent("yes"),
        data.intent("no"),
    ):
        for phrase in phrases:
            found.add(" ".join(w[0] for w in phrase.words))
    found |= {str(n) for n in range(0, 13)} | {"?", "ạ", "hom nay", "bao nhieu", "abc", "1 3", "sửa"}
    return sorted(found)


def typed_text(options: list[Option]) -> st.SearchStrategy[str]:
    noise = st.text(alphabet="abcdđeêghiklmnoôơpqrstuưvxyáàảãạ0123456789 ?,.", max_size=8)
    return st.lists(st.one_of(st.sampled_from(vocabulary(options)), noise), min_size=1, max_size=5).map(
        " ".join
    )


def leaves_the_form(text: str) -> bool:
    return text.strip().startswith("/") or words().is_stop(text)


@given(data=st.data())
@PROPERTY
def test_the_matcher_picks_only_what_the_text_names(data: Any) -> None:
    with i18n.use("vi"):
        shown = translated(SUMMARY_ACTIONS)
        text = data.draw(typed_text(shown))
        found = match(text, shown)
        event("matcher: " + ("chosen" if found.chosen else "which one?" if found.ambiguous else "nothing"))
        if found.chosen is not None:
            assert names(text, found.chosen, shown), (text, found.chosen)
        for candidate in found.candidates:
            assert names(text, candidate, shown), (text, candidate)


async def _person(app: Runtime, area: str = "lien_bao.tdp1") -> tuple[str, int]:
    """A person who has consented, lives in ``area``; returns (console user id, user row id)."""
    uid = f"prop{next(_people)}"
    now = app.services.clock.now()
    async with app.services.store.write() as tx:
        user = await tx.users.create(
            key=f"console:{uid}", channel="console", chat_id=uid, display_name="", language="vi", now=now
        )
        await tx.users.set_area(user.id, area, now)
    return uid, user.id


async def _at_step(
    app: Runtime, user_id: int, flow: str, step: str, draft: dict[str, Any], menu: Menu
) -> None:
    state = await app.services.store.read.conversations.load(user_id)
    state.flow, state.step, state.draft, state.menu = flow, step, dict(draft), menu.saved()
    async with app.services.store.write() as tx:
        await tx.conversations.save(user_id, state, app.services.clock.now())


DRAFT = {
    "yr": 2026,
    "h": "Trần Văn Bình",
    "a": "lien_bao.tdp1",
    "m": [{"r": "head", "y": 1980, "l": "self_study", "lit": True, "a": ["reading"]}],
    "c": ["books"],
    "e": "often",
    "ret": 1,
}
SUMMARY_STEPS = {
    "head": "head",
    "area_pick": "area",
    "members": "members",
    "cond": "cond",
    "comm": "comm",
    "note": "note",
    "phone": "phone",
}


@given(data=st.data())
@PROPERTY
async def test_the_declaration_summary_submits_only_when_told_and_never_loses_the_form(
    app: Runtime, data: Any
) -> None:
    with i18n.use("vi"):
        shown = translated(SUMMARY_ACTIONS)
        menu = Menu.from_buttons(buttons("summary", shown))
    text = data.draw(typed_text(shown))
    if leaves_the_form(text):
        return
    uid, user_id = await _person(app)
    await _at_step(app, user_id, "declare", "summary", DRAFT, menu)
    await app.router.replies_for(Incoming("console", uid, uid, text=text))

    store = app.services.store.read
    state = await store.conversations.load(user_id)
    submitted = await store.declarations.for_user(user_id, 2026)
    if submitted is not None:
        chosen: str | None = "send"
    elif state.flow is None:
        assert words().quits(text), f"{text!r} lost the form"
        kept = state.draft[RESUME_KEY]
        assert (kept["flow"], kept["step"], kept["draft"]) == ("declare", "summary", DRAFT), text
        event("summary: stopped, kept to go on with")
        return
    else:
        assert state.flow == "declare", f"{text!r} lost the form"
        assert all(state.draft[k] == DRAFT[k] for k in ("h", "a", "m", "c", "e")), text
        chosen = SUMMARY_STEPS.get(state.step or "")
        assert chosen is not None or state.step == "summary", (text, state.step)
    event(f"summary: {chosen or 'asked again'}")
    if chosen is not None:
        option = next(o for o in shown if o.key == chosen)
        assert names(text, option, shown), f"{text!r} chose {option.label!r}"


@given(data=st.data())
@PROPERTY
async def test_deleting_ones_data_happens_only_on_a_yes(app: Runtime, data: Any) -> None:
    with i18n.use("vi"):
        shown = list(CONFIRM_DELETE.options())
        menu = Menu.from_buttons(CONFIRM_DELETE.buttons())
    text = data.draw(typed_text(shown))
    if leaves_the_form(text):
        return
    uid, user_id = await _person(app)
    await _at_step(app, user_id, "delete", "confirm", {}, menu)
    await app.router.replies_for(Incoming("console", uid, uid, text=text))

    store = app.services.store.read
    yes, no = shown
    if await store.users.by_key(f"console:{uid}") is None:
        event("delete: yes")
        assert names(text, yes, shown) and not negates(text), f"{text!r} deleted the data"
        return
    state = await store.conversations.load(user_id)
    if state.flow is None:
        event("delete: no")
        assert names(text, no, shown), f"{text!r} answered no"
    else:
        event("delete: asked again")
        assert (state.flow, state.step) == ("delete", "confirm"), text


CONDITIONS_SHOWN = ("books", "desk", "internet")  # the step "cond": 1-3, then 4 "none", 5 "Xong"


@given(data=st.data())
@PROPERTY
async def test_a_typed_list_and_taps_give_the_same_choices(app: Runtime, data: Any) -> None:
    """Several items typed in one message ("3 1", "1, 3 và 2") give the list that tapping the same
    items one by one, then "Xong", gives — and the form goes on either way."""
    picked = data.draw(st.lists(st.sampled_from(CONDITIONS_SHOWN), min_size=1, max_size=3, unique=True))
    separator = data.draw(st.sampled_from([" ", ", ", ",", " và ", " va ", "; "]))
    numbers = [str(CONDITIONS_SHOWN.index(key) + 1) for key in picked]
    draft = {k: v for k, v in DRAFT.items() if k not in ("c", "e", "ret")}
    results = []
    for way in ("typed", "tapped"):
        uid, user_id = await _person(app)
        await _at_step(app, user_id, "declare", "comm", draft, Menu())
        state = await app.services.store.read.conversations.load(user_id)
        state.step = "cond"
        async with app.services.store.write() as tx:
            await tx.conversations.save(user_id, state, app.services.clock.now())
        await app.router.replies_for(Incoming("console", uid, uid, text="/trogiup"))  # the list shown
        if way == "typed":
            await app.router.replies_for(Incoming("console", uid, uid, text=separator.join(numbers)))
        else:
            for key in [*picked, "+done"]:
                await app.router.replies_for(Incoming("console", uid, uid, payload=f"cond:{key}"))
        state = await app.services.store.read.conversations.load(user_id)
        assert state.step == "comm", (way, numbers, state.step)
        results.append(state.draft["c"])
    assert results[0] == results[1] == picked, (numbers, separator, results)
