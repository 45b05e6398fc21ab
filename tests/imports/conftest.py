"""The import/export router on the test app, people to export, files to import, and the
job to wait for."""

import csv
import io
import threading
import time

import pytest
from sqlalchemy import select

from waitline.db.models import Entry, Event, Message
from waitline.imports.routes import export_entries, router

TERMINAL = ("done", "failed")


@pytest.fixture
def settings(settings):
    """Tests here sign many people up from the one test client within a minute."""
    return settings.model_copy(update={"rate_limit_signup": "10000/minute"})


@pytest.fixture
def app(app):
    """The app with this router (unless app.py has it already), placed as app.py must place
    it: ahead of the entries admin routes, whose `GET .../entries/{entry_id}` would
    otherwise answer `.../export.csv`."""
    if not any(getattr(route, "endpoint", None) is export_entries for route in app.routes):
        before = list(app.router.routes)
        app.include_router(router)
        added = app.router.routes[len(before) :]
        app.router.routes[:] = [*added, *before]
    yield app
    # Import jobs run in threads of their own: let them end before the database goes.
    for thread in threading.enumerate():
        if thread.name.startswith("import-"):
            thread.join(timeout=30)


@pytest.fixture
def csv_io(client, tenant):
    """Export and import over HTTP, as the tenant's write key unless told otherwise."""

    class CsvIO:
        @staticmethod
        def file(rows: list[list[str]], *, bom: bool = False, line_end: str = "\r\n") -> bytes:
            out = io.StringIO()
            csv.writer(out, lineterminator=line_end).writerows(rows)
            return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()

        @staticmethod
        def parse(text: str) -> list[dict[str, str]]:
            return list(csv.DictReader(io.StringIO(text, newline="")))

        def base(self, waitlist: dict, owner=None) -> str:
            return (owner or tenant).path(f"/waitlists/{waitlist['id']}")

        def export(self, waitlist: dict, **params):
            response = client.get(
                self.base(waitlist) + "/entries/export.csv", params=params, headers=tenant.auth
            )
            assert response.status_code == 200, response.text
            return response

        def rows(self, waitlist: dict, **params) -> list[dict[str, str]]:
            return self.parse(self.export(waitlist, **params).text)

        def upload(
            self,
            waitlist: dict,
            content: bytes,
            *,
            expect: int = 202,
            send_email: bool | None = None,
            headers: dict | None = None,
        ) -> dict:
            data = {} if send_email is None else {"send_email": str(send_email).lower()}
            response = client.post(
                self.base(waitlist) + "/imports",
                files={"file": ("people.csv", content, "text/csv")},
                data=data,
                headers=tenant.auth if headers is None else headers,
            )
            assert response.status_code == expect, response.text
            return response.json()

        def job(self, waitlist: dict, job_id: str, owner=None) -> dict:
            response = client.get(
                self.base(waitlist, owner) + f"/imports/{job_id}", headers=(owner or tenant).auth
            )
            assert response.status_code == 200, response.text
            return response.json()

        def wait(self, waitlist: dict, job_id: str, timeout: float = 30, owner=None) -> dict:
            """The job once it has ended; it runs in a thread after the upload's answer."""
            deadline = time.monotonic() + timeout
            while True:
                job = self.job(waitlist, job_id, owner)
                if job["status"] in TERMINAL:
                    return job
                assert time.monotonic() < deadline, f"import still {job['status']}: {job}"
                time.sleep(0.02)

        def run(self, waitlist: dict, content: bytes, **options) -> dict:
            accepted = self.upload(waitlist, content, **options)
            return self.wait(waitlist, accepted["id"])

    return CsvIO()


@pytest.fixture
def stored(app):
    """What the requests and jobs left in the database."""

    class Stored:
        def entries(self, waitlist_id: str) -> list[Entry]:
            stmt = select(Entry).where(Entry.waitlist_id == waitlist_id).order_by(Entry.seq)
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt))

        def by_email(self, waitlist_id: str) -> dict[str, Entry]:
            return {entry.email: entry for entry in self.entries(waitlist_id)}

        def events(self, type_: str) -> list[Event]:
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(select(Event).where(Event.type == type_)))

        def messages(self) -> list[Message]:
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(select(Message)))

    return Stored()
