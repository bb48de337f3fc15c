"""``python -m bot ask``: answer questions from the knowledge base in a terminal or a script.

    python -m bot ask "tieu chi gia dinh hoc tap"
    printf 'gdht la gi\\nthoi tiet\\n' | python -m bot ask --json -
    python -m bot ask --check           # check edited knowledge files

With ``--json``, one JSON object per input line: {"topic": <id or null>, "score": <float>,
"answer": <text or null>, "more": <text or null>, "kind": <str>}. ``answer`` is the first message
as the chat sends it (plain text ending with its source line); ``more`` is what "Xem thêm" shows
(the title and the details), null when the topic has none; ``kind`` is "question", or "thanks",
"greeting", "ok" or "short" (one word, a number) for messages that never get a topic. Without
``--json`` both parts are printed. ``ask`` needs no database and no configuration. Also runnable
alone: ``python -m handlers.faq.cli …``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from bot import i18n
from bot.i18n import _
from handlers.faq.analyze import AbbreviationsError
from handlers.faq.knowledge import KnowledgeError
from handlers.faq.service import FaqService


def add_parsers(commands: Any, admin: Any) -> None:
    """Add the ``ask`` command to the main parser's subparsers."""
    ask = commands.add_parser(
        "ask",
        help="answer a question from the knowledge base (no database needed)",
        description="Answer questions about the learning titles from locales/*/knowledge.toml, "
        "as the bot would in chat. Use - to read one question per line from standard input.",
    )
    ask.add_argument("question", nargs="?", help='the question, or "-" to read questions from standard input')
    ask.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per question: {"topic": id or null, "score": float, "answer": text or null, '
        '"more": text or null, "kind": str}',
    )
    ask.add_argument(
        "--lang", choices=i18n.LANGUAGES, default="vi", help="language of the answers (default: vi)"
    )
    ask.add_argument("--explain", action="store_true", help="also show the analysed words and the candidates")
    ask.add_argument(
        "--check", action="store_true", help="only check the knowledge files and report problems"
    )
    ask.set_defaults(run_offline=run_without_app)


def _result(service: FaqService, question: str, language: str) -> dict[str, Any]:
    match = service.match(question)
    topic = service.topic(match.topic, language) if match.topic else None
    with i18n.use(language):
        answer = service.plain_answer(topic) if topic is not None else None
    return {
        "topic": topic.id if topic else None,
        "score": round(match.score, 4),
        "answer": answer,
        "more": service.plain_more(topic) if topic is not None else None,
        "kind": str(match.kind),
    }


def run_without_app(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run ``ask``; 0 on success, 1 when a single question has no confident answer, 2 on bad files."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    try:
        service = FaqService.load()
    except (KnowledgeError, AbbreviationsError) as problem:
        print(f"knowledge base error: {problem}", file=sys.stderr)
        return 2
    if args.check:
        counts = {lang: len(service.topics(lang)) for lang in i18n.LANGUAGES}
        print(
            "knowledge base OK: " + ", ".join(f"{n} topics ({lang})" for lang, n in counts.items()),
            file=stdout,
        )
        return 0
    if not args.question:
        print('error: give a question, or "-" to read questions from standard input', file=sys.stderr)
        return 2
    questions = (line.rstrip("\n") for line in stdin) if args.question == "-" else iter([args.question])
    unanswered = 0
    for question in questions:
        result = (
            _result(service, question, args.lang)
            if question.strip()
            else {"topic": None, "score": 0.0, "answer": None, "more": None, "kind": "short"}
        )
        if args.json:
            print(json.dumps(result, ensure_ascii=False), file=stdout, flush=True)
            continue
        if args.question == "-":
            print(f"? {question}", file=stdout)
        if args.explain:
            print(service.matcher.explain(question), file=stdout)
        if result["answer"] is not None:
            print(result["answer"], file=stdout)
            if result["more"] is not None:
                with i18n.use(args.lang):
                    print(f"\n{_('📖 More details')}\n{result['more']}", file=stdout)
        else:
            unanswered += 1
            nearest = ", ".join(c.topic for c in service.match(question).candidates) or "none"
            print(
                f"No confident answer (score {result['score']:.2f}); nearest topics: {nearest}. "
                "In chat the bot offers these and to ask an officer.",
                file=stdout,
            )
        if args.question == "-":
            print(file=stdout)
    return 1 if unanswered and args.question != "-" else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parsers(sub, None)
    return run_without_app(parser.parse_args(["ask", *(argv if argv is not None else sys.argv[1:])]))


if __name__ == "__main__":
    raise SystemExit(main())
