"""Response models for import jobs."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class RowProblem(BaseModel):
    row: int = Field(description="The data row, counted from 1 (the header is not a row).")
    message: str


class ImportJobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    filename: str | None
    send_email: bool
    total: int = Field(description="Data rows in the file (blank lines not counted).")
    processed: int = Field(description="Rows handled so far: imported + skipped.")
    imported: int
    skipped: int = Field(description="Rows not imported: duplicates and bad rows.")
    errors: list[RowProblem] = Field(
        description="Why each skipped row was skipped, and referrals that could not be "
        "rebuilt, by row; the first 1000."
    )
    ignored_columns: list[str] = Field(
        description="Columns that are neither an entry field nor a custom field of the "
        "waitlist: their values were not imported."
    )
    created_at: datetime
    finished_at: datetime | None
