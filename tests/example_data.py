"""Reading the bundled example data, shared by the golden tests of the schemes."""

from __future__ import annotations

import csv
from pathlib import Path


def read_rows(path: Path, id_field: str) -> list[dict[str, str]]:
    """The rows of an example CSV; every id must be unique."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [r[id_field] for r in rows]
    assert len(ids) == len(set(ids)), "an id appears twice in the CSV"
    return rows


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))
