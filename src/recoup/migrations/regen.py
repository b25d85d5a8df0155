"""Developer tool: rewrite the initial migration from the models (only while no database is deployed).

    .venv/bin/python -m recoup.migrations.regen
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from recoup.db import Database
from recoup.migrations.runner import HERE, autogenerate

TARGET = HERE / "versions" / "0001_initial.py"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for old in (HERE / "versions").glob("0001_*.py"):
            old.unlink()
        database = Database(f"sqlite:///{Path(folder) / 'empty.db'}")
        autogenerate(database.engine, "initial schema")
        database.dispose()
    generated = list((HERE / "versions").glob("*_initial_schema.py"))
    source = generated[0].read_text()
    revision = re.search(r"^revision = '(\w+)'", source, re.M)
    assert revision is not None
    source = source.replace(revision.group(1), "0001")
    source = re.sub(r"Create Date: .*", "Create Date: 2026-11-25", source)
    generated[0].unlink()
    TARGET.write_text(source)


if __name__ == "__main__":
    main()
