"""The question asked before an action that cannot be taken back: a page (GET) saying what will be lost, whose
form makes the POST that does it. Every destructive button links here instead of posting at once, so one tap never
deletes, closes, cancels or removes anything, and the page works without script."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template


@dataclass
class Choice:
    """One way to answer: a button posting to ``action`` (with ``hidden`` values, and a form's fields if any)."""

    action: str
    label: str
    hidden: dict[str, str] = field(default_factory=dict)
    form: object | None = None
    secondary: bool = False


@dataclass
class Question:
    title: str
    lost: list[str]
    choices: list[Choice]
    back: str
    keep: str | None = None
    warning: str | None = None
    items: list[str] = field(default_factory=list)


def ask(question: Question, status: int = 200):
    """The confirmation page; nothing has changed yet."""
    return render_template("confirm.html", question=question), status
