"""Large imports run as a job: the upload is queued, its page refreshes itself while the job runs, then shows the
outcome; all rows or none, row errors with their lines, the uploader's page alone, one import however often the job
runs, possible duplicates held for the uploader's choices and confirmed through the job."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare import import_jobs, imports
from app.childcare.models import Child, ChildImport, Gender
from app.extensions import db
from app.jobs import huey, run_queued_jobs
from tests.conftest import csrf_token
from tests.factories import valid_id_number
from tests.test_children_transfer import count, director_for, login, row, upload, xlsx

ROWS = 60
REFRESH = '<meta http-equiv="refresh" content="2">'


@pytest.fixture(autouse=True)
def small_jobs(app, monkeypatch):
    """More than 20 rows make a job here (500 in production), so the tests stay fast."""
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 20)


def _rows(n: int = ROWS, village: str = "大村") -> list[dict]:
    return [
        row(f"大村孩子{i}", village, valid_id_number(f"2015{1 + i // 30:02d}12", f"{i % 30:03d}"))
        | {"birth_date": f"2015-{1 + i // 30:02d}-12"}
        for i in range(n)
    ]


def _queue(auth, rows: list[dict]) -> str:
    response = upload(auth, xlsx(rows))
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/children/import/")
    return response.headers["Location"]


def _run(app) -> int:
    with app.app_context():
        return run_queued_jobs()


def _upload_row(app) -> ChildImport:
    with app.app_context():
        return db.session.scalar(select(ChildImport))


def test_a_large_import_is_queued_then_imported_by_the_job_while_its_page_refreshes(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    page_url = _queue(auth, _rows())
    page = auth.client.get(page_url + "?lang=en").get_data(as_text=True)
    assert REFRESH in page and f"Waiting to start: {ROWS} rows." in page
    assert count(app) == 0 and huey.pending_count() == 1
    assert _run(app) == 1
    response = auth.client.get(page_url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and REFRESH not in page
    assert f"Imported: {ROWS} added, 0 updated, 0 unchanged." in page
    assert count(app) == ROWS
    done = _upload_row(app)
    assert (done.status, done.content, done.finished_at is not None) == ("done", b"", True)


def test_the_job_writes_its_progress_where_another_session_reads_it(app, make, monkeypatch):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    _queue(auth, _rows())
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 20)
    seen = []
    write = import_jobs._Progress.write

    def write_and_look(progress, *args):
        write(progress, *args)
        with Session(bind=db.engine) as other:  # as the page's request would, while the import is not committed
            columns = (ChildImport.status, ChildImport.phase, ChildImport.done, ChildImport.total)
            seen.append(tuple(other.execute(select(*columns)).one()))

    monkeypatch.setattr(import_jobs._Progress, "write", write_and_look)
    _run(app)
    assert ("running", "checked", 40, ROWS) in seen and ("running", "saved", 20, ROWS) in seen
    assert count(app) == ROWS


def test_the_page_of_a_running_job_shows_how_far_it_has_got_and_refreshes(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    page_url = _queue(auth, _rows())
    with app.app_context():
        running = db.session.scalar(select(ChildImport))
        running.status, running.phase, running.done = "running", "checked", 40
        db.session.commit()
    page = auth.client.get(page_url + "?lang=en").get_data(as_text=True)
    assert REFRESH in page and f"Checked 40 of {ROWS} rows…" in page and '<progress max="60" value="40">' in page


def test_a_job_with_wrong_rows_imports_nothing_and_lists_them_by_line(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    rows = _rows()
    rows[3]["village"] = "没有村"
    rows[40]["gender"] = "?"
    page_url = _queue(auth, rows)
    _run(app)
    page = auth.client.get(page_url + "?lang=en").get_data(as_text=True)
    assert "Nothing was imported" in page and REFRESH not in page
    assert "Line 5" in page and "Line 42" in page and "没有村" in page
    assert count(app) == 0
    assert _upload_row(app).content == b""


def test_only_the_uploader_sees_the_page_of_an_upload(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    page_url = _queue(auth, _rows())
    for other in (make.user(Role.CHILD_DIRECTOR, villages=[village.id]), make.admin()):
        assert login(app, other).client.get(page_url).status_code == 404
    assert auth.client.get("/children/import/no-such-upload").status_code == 404


def test_a_queued_upload_cannot_be_confirmed_or_discarded_before_the_job_has_run(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    token = _queue(auth, _rows()).rsplit("/", 1)[1]
    for action in ("confirm", "discard"):
        response = auth.post(f"/children/import/{action}", {"token": token})
        assert response.status_code == 404
    _run(app)
    assert count(app) == ROWS


def test_the_job_run_twice_imports_once(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    _queue(auth, _rows())
    upload_id = _upload_row(app).id
    _run(app)
    with app.app_context():
        import_jobs.import_children_job(upload_id)  # queued again, as a retry or a second worker would
        assert run_queued_jobs() == 1
        assert import_jobs.run_import(upload_id) is None
        imported = select(func.count(AuditEntry.id)).where(AuditEntry.action == "child.imported")
        assert db.session.scalar(imported) == 1
    assert count(app) == ROWS


def test_a_job_that_crashes_saves_nothing_and_its_page_says_so(app, make, monkeypatch, caplog):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    page_url = _queue(auth, _rows())

    def crash(*args, **kwargs):
        yield "checked", 0, ROWS
        db.session.add(Child(name="半个孩子"))
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(import_jobs, "import_children_steps", crash)
    _run(app)
    page = auth.client.get(page_url + "?lang=en").get_data(as_text=True)
    assert "The import stopped because of an error on our side: nothing was imported." in page
    assert REFRESH not in page and count(app) == 0
    failed = _upload_row(app)
    assert (failed.status, failed.content) == ("failed", b"")
    assert "the disk is full" in caplog.text


def test_possible_duplicates_found_by_the_job_wait_for_the_uploaders_choice(app, make):
    village = make.village(name_zh="大村")
    existing = make.child(village.id, name="李小花", gender=Gender.FEMALE, guardian_name="奶奶")
    auth = director_for(app, make, village)
    rows = [*_rows(), row("李小花", "大村", guardian_name="外婆")]
    page_url = _queue(auth, rows)
    _run(app)
    page = auth.client.get(page_url + "?lang=en").get_data(as_text=True)
    assert "Possible duplicates" in page and f"update file {existing.id}" in page and REFRESH not in page
    held = _upload_row(app)
    assert held.status == "held" and held.content and count(app) == 1
    line = len(rows) + 1
    response = auth.client.post(
        "/children/import/confirm",
        data={"token": held.token, f"row-{line}": str(existing.id), "csrf_token": csrf_token(auth.client, page_url)},
    )
    assert response.status_code == 303 and response.headers["Location"] == page_url
    assert REFRESH in auth.client.get(page_url).get_data(as_text=True)
    _run(app)
    page = auth.client.get(page_url + "?lang=en").get_data(as_text=True)
    assert f"Imported: {ROWS} added, 1 updated, 0 unchanged." in page
    assert count(app) == ROWS + 1
    with app.app_context():
        assert db.session.get(Child, existing.id).guardian_name == "外婆"
    assert _upload_row(app).content == b""


def test_a_small_upload_is_still_imported_within_the_request(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    response = upload(auth, xlsx(_rows(20)))
    assert response.status_code == 200 and "20 added" in response.get_data(as_text=True)
    assert count(app) == 20 and huey.pending_count() == 0


def test_the_sweep_queues_a_lost_upload_again_and_fails_one_whose_worker_stopped(app, make):
    from datetime import timedelta

    from app.db_types import utcnow

    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    _queue(auth, _rows())
    huey.flush()  # the queue entry is lost
    later = utcnow() + timedelta(minutes=11)
    with app.app_context():
        assert import_jobs.sweep_imports(later) == (1, 0)
        db.session.commit()
    assert _run(app) == 1 and count(app) == ROWS
    with app.app_context():
        upload_row = db.session.scalar(select(ChildImport))
        upload_row.status = import_jobs.RUNNING  # as if a worker had stopped in the middle of it
        db.session.commit()
        assert import_jobs.sweep_imports(utcnow() + timedelta(hours=3)) == (0, 1)
        db.session.commit()
        assert db.session.scalar(select(ChildImport.status)) == import_jobs.FAILED


def test_old_uploads_are_purged(app, make, runner):
    from datetime import timedelta

    from app.db_types import utcnow

    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    _queue(auth, _rows())
    _run(app)
    with app.app_context():
        assert import_jobs.purge_imports(utcnow() + timedelta(days=29)) == 0
        assert import_jobs.purge_imports(utcnow() + timedelta(days=31)) == 1
