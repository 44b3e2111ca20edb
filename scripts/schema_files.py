"""Write the files generated from the Arrow schema: the Glue tables Terraform reads, and the data
dictionary's column tables.

    python scripts/schema_files.py           # rewrite terraform/generated/glue_tables.json and the
                                             # generated sections of docs/data-dictionary.md (make schema)
    python scripts/schema_files.py --check   # fail if either is out of date (a test runs this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tgpipe.build.schema import TABLES  # noqa: E402
from tgpipe.store.layout import PARTITION_KEY  # noqa: E402
from tgpipe.telegram import shape  # noqa: E402

GLUE_FILE = ROOT / "terraform" / "generated" / "glue_tables.json"
DICTIONARY_FILE = ROOT / "docs" / "data-dictionary.md"


# ---- Glue -----------------------------------------------------------------------------------


def glue_type(t: pa.DataType) -> str:
    """Return the Hive/Glue type name of an Arrow type."""
    if pa.types.is_list(t):
        return f"array<{glue_type(t.value_type)}>"
    if pa.types.is_timestamp(t):
        return "timestamp"
    names = {
        pa.int64(): "bigint",
        pa.int32(): "int",
        pa.bool_(): "boolean",
        pa.string(): "string",
        pa.float64(): "double",
        pa.date32(): "date",
    }
    if t in names:
        return names[t]
    raise TypeError(f"no Glue type for {t}")


def glue_tables() -> dict[str, Any]:
    """Return the Glue tables' columns and partition keys, as Terraform reads them."""
    return {
        name: {
            "columns": [{"name": c.name, "type": glue_type(c.type), "comment": c.description[:255]} for c in columns],
            "partition_keys": [
                {
                    "name": PARTITION_KEY,
                    "type": "date",
                    "comment": "Day of the update's own time in TIMEZONE (yyyy-MM-dd).",
                }
            ],
        }
        for name, columns in TABLES.items()
    }


def glue_tables_json() -> str:
    return json.dumps(glue_tables(), indent=2, ensure_ascii=False) + "\n"


# ---- data dictionary ---------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """A table cell of text: `<type>` would read as an HTML tag."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def dictionary_sections() -> dict[str, str]:
    """Return the generated parts of the data dictionary: each table's columns, and the message types."""
    sections = {}
    for name, columns in TABLES.items():
        lines = ["| # | column | type | from the Bot API | meaning | example |", "|---|---|---|---|---|---|"]
        for n, c in enumerate(columns, start=1):
            example = f"`{_cell(c.example)}`" if c.example else ""
            meaning = _prose(c.description)
            if c.pseudonymized:  # what PSEUDONYMIZE=1 makes of it (docs/pseudonymization.md)
                meaning += f" **Pseudonymised:** {_prose(c.pseudonymized)}."
            cells = (str(n), f"`{c.name}`", f"`{glue_type(c.type)}`", _prose(c.source), meaning, example)
            lines.append("| " + " | ".join(cells) + " |")
        lines.append(
            f"| | `{PARTITION_KEY}` | `date` (partition) | the update's own time in TIMEZONE | "
            "Day of the update's own time in TIMEZONE. | `2025-11-23` |"
        )
        sections[f"columns:{name}"] = "\n".join(lines)
    kinds = [f"`{k}`" for k in shape.MESSAGE_KINDS]
    sections["message-types"] = ", ".join(kinds) + ", and `other` for a message with none of these."
    return sections


def dictionary_text(current: str) -> str:
    """Return `current` (the data dictionary) with every generated section brought up to date.

    A section sits between `<!-- BEGIN name -->` and `<!-- END name -->` lines.
    """
    text = current
    for name, body in dictionary_sections().items():
        begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
        head, found, rest = text.partition(begin)
        _, found_end, tail = rest.partition(end)
        if not (found and found_end):
            raise ValueError(f"{DICTIONARY_FILE.name} has no {begin} ... {end} section")
        text = f"{head}{begin}\n{body}\n{end}{tail}"
    return text


def main(argv: list[str] | None = None) -> int:
    """Write the Glue tables file and the data dictionary's tables (with --check: fail if either is stale)."""
    args = sys.argv[1:] if argv is None else argv
    current_dictionary = DICTIONARY_FILE.read_text(encoding="utf-8")
    wanted = {GLUE_FILE: glue_tables_json(), DICTIONARY_FILE: dictionary_text(current_dictionary)}
    if "--check" in args:
        stale = [path for path, text in wanted.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"{path} is out of date: run make schema", file=sys.stderr)
        return 1 if stale else 0
    for path, text in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
