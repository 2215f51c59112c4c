"""Large imports run as a job, so no proxy or worker timeout cuts them off: the upload is kept as a ``ChildImport``
("queued"), the job claims it ("running"), imports it all or nothing while writing its progress where the page can
read it, then keeps the outcome for the page ("done", "failed", or "held" for the uploader's choices on possible
duplicates — confirmed through the job too).

The import's own transaction stays open from the first row checked to the last file saved, so the progress is
written by a second session on its own connection, one short transaction per step (``_Progress``).
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from huey import crontab
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.childcare.imports import ImportResult, PossibleDuplicate, import_children_steps
from app.childcare.models import Child, ChildImport
from app.db_types import utcnow
from app.directory.models import Village
from app.extensions import db
from app.jobs import enqueue_after_commit, job, periodic
from app.permissions import village_scope

log = logging.getLogger("shouhu.imports")

QUEUED, RUNNING, DONE, FAILED, HELD = "queued", "running", "done", "failed", "held"
STUCK_QUEUED, STUCK_RUNNING = timedelta(minutes=10), timedelta(hours=2)
ERRORS_KEPT = 200  # row errors kept for the page; the count says how many there were in all


def is_large_import(rows: int) -> bool:
    """Whether an upload of this many rows is imported by the job rather than within the request."""
    return rows > current_app.config["IMPORT_JOB_ROWS"]


def queue_import(raw: bytes, filename: str, rows: int, *, by: User) -> ChildImport:
    """Keep a large upload for the import job, which is queued once the caller commits."""
    upload = ChildImport(
        token=secrets.token_urlsafe(32),
        user_id=by.id,
        filename=filename[:255],
        content=raw,
        status=QUEUED,
        total=rows,
    )
    db.session.add(upload)
    db.session.flush()
    enqueue_after_commit(import_children_job, upload.id)
    return upload


def queue_confirmation(pending: ChildImport, choices: dict[int, str], *, by: User) -> None:
    """Apply a large held upload with the uploader's choices through the job (the rows are checked again there)."""
    pending.status, pending.phase, pending.done, pending.finished_at = QUEUED, "", 0, None
    pending.result = {"choices": {str(line): choice for line, choice in choices.items()}}
    db.session.flush()
    enqueue_after_commit(import_children_job, pending.id)


def upload_of(token: str) -> ChildImport | None:
    return db.session.scalar(select(ChildImport).where(ChildImport.token == token)) if token else None


@job()
def import_children_job(import_id: int) -> str | None:
    return run_import(import_id)


def run_import(import_id: int) -> str | None:
    """Claim a queued upload (so a second run of the job finds nothing to do), import it, keep the outcome. A crash
    saves none of the upload and marks it failed; the page says so."""
    claimed = db.session.execute(
        update(ChildImport)
        .where(ChildImport.id == import_id, ChildImport.status == QUEUED)
        .values(status=RUNNING, phase="", done=0)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    if db.engine.dialect.name == "sqlite":  # one writer at a time: take the write lock before checking the rows
        db.session.connection(execution_options={"sqlite_immediate": True})
    try:
        outcome = _import(db.session.get(ChildImport, import_id))
    except Exception:
        log.exception("the import of upload %s failed", import_id)
        db.session.rollback()
        _finish(db.session.get(ChildImport, import_id), FAILED, {"failed": True})
        outcome = FAILED
    db.session.commit()
    return outcome


def _import(upload: ChildImport) -> str:
    """Import within one transaction, the caller's to commit (files, audit entry and outcome together)."""
    user = db.session.get(User, upload.user_id)
    choices = upload_choices(upload)
    result = ImportResult()
    progress = _Progress(upload.id)
    try:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):  # the row errors' language
            for phase, done, total in import_children_steps(
                upload.content, upload.filename, by=user, choices=choices, result=result
            ):
                progress.write(phase, done, total)
    finally:
        progress.close()
    if result.errors:
        db.session.rollback()
        errors = [[line, message] for line, message in result.errors[:ERRORS_KEPT]]
        _finish(db.session.get(ChildImport, upload.id), DONE, {"errors": errors, "error_count": len(result.errors)})
        return "refused"
    if result.duplicates:
        upload.status, upload.finished_at = HELD, utcnow()
        held = [_duplicate_json(duplicate) for duplicate in result.duplicates]
        upload.result = {"duplicates": held, "choices": {str(line): value for line, value in choices.items()}}
        return HELD
    counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    _finish(upload, DONE, counts)
    return DONE


def _finish(upload: ChildImport, status: str, result: dict) -> None:
    """The outcome the page shows; the file itself is dropped (children's data kept no longer than needed)."""
    upload.status, upload.result, upload.finished_at, upload.content = status, result, utcnow(), b""


def _duplicate_json(duplicate: PossibleDuplicate) -> dict:
    return {
        "line": duplicate.line,
        "name": duplicate.name,
        "birth_date": duplicate.birth_date.isoformat(),
        "candidates": [child.id for child in duplicate.candidates],
    }


def upload_choices(upload: ChildImport) -> dict[int, str]:
    """The choices the uploader made last time (to show them again when some are still missing)."""
    return {int(line): value for line, value in ((upload.result or {}).get("choices") or {}).items()}


def held_result(upload: ChildImport, user: User) -> ImportResult:
    """A held upload's possible duplicates as the confirmation form shows them; files moved out of the uploader's
    villages since are left out."""
    held = (upload.result or {}).get("duplicates") or []
    ids = {child_id for duplicate in held for child_id in duplicate["candidates"]}
    allowed = select(Village.id)
    children = {
        child.id: child
        for child in db.session.scalars(
            select(Child).where(Child.id.in_(ids), Child.village_id.in_(village_scope(allowed, user)))
        )
    }
    duplicates = [
        PossibleDuplicate(
            d["line"],
            d["name"],
            date.fromisoformat(d["birth_date"]),
            [children[i] for i in d["candidates"] if i in children],
        )
        for d in held
    ]
    return ImportResult(duplicates=duplicates, pending=upload)


class _Progress:
    """Writes the job's progress through a second session, each step committed on its own, so the page reads it
    while the import's transaction is still open (and the import stays all or nothing).

    SQLite has one writer at a time and the import holds the write lock from its start: there a second connection
    could only wait, so progress is written only when the second session shares the import's connection (the
    tests' single connection); the page then shows "running" until the end. PostgreSQL shows every step."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self.session = Session(bind=db.engine)
        self.enabled: bool | None = None

    def write(self, phase: str, done: int, total: int) -> None:
        if self.enabled is None:
            shared = db.engine.dialect.name == "sqlite" and self.session.connection() is db.session.connection()
            self.enabled = db.engine.dialect.name != "sqlite" or shared
            if not self.enabled:
                self.session.close()
        if not self.enabled:
            return
        self.session.execute(
            update(ChildImport).where(ChildImport.id == self.import_id).values(phase=phase, done=done, total=total)
        )
        self.session.commit()

    def close(self) -> None:
        self.session.close()


def sweep_imports(now) -> tuple[int, int]:
    """Uploads left behind: a queued one whose queue entry was lost is queued again (the claim makes a second run
    harmless); a running one whose worker stopped (older than ``STUCK_RUNNING``) is marked failed, nothing of it saved
    (its transaction died with the worker). Returns (requeued, failed)."""
    requeued = list(
        db.session.scalars(
            select(ChildImport.id).where(ChildImport.status == QUEUED, ChildImport.created_at < now - STUCK_QUEUED)
        )
    )
    for import_id in requeued:
        enqueue_after_commit(import_children_job, import_id)
    stuck = list(
        db.session.scalars(
            select(ChildImport).where(ChildImport.status == RUNNING, ChildImport.created_at < now - STUCK_RUNNING)
        )
    )
    for upload in stuck:
        _finish(upload, FAILED, {"failed": True})
    db.session.flush()
    return len(requeued), len(stuck)


def purge_imports(now) -> int:
    """Finished uploads keep their outcome for 30 days; uploads waiting for choices are dropped after 7."""
    old = (ChildImport.status.in_((DONE, FAILED)) & (ChildImport.created_at < now - timedelta(days=30))) | (
        (ChildImport.status == HELD) & (ChildImport.created_at < now - timedelta(days=7))
    )
    return db.session.execute(delete(ChildImport).where(old).execution_options(synchronize_session=False)).rowcount


@periodic(crontab(minute="*/5"))
def sweep_imports_job(now) -> None:
    sweep_imports(now)
    db.session.commit()
