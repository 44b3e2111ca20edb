"""Measure `tgpipe import`'s peak memory on files made to exhaust it (issue 24): the 400 MB of
docs/design.md §8 holds for any file, not only for exports Telegram Desktop writes.

Each file is generated here (none is an export Desktop would write), imported by the installed
`tgpipe import` in a fresh process, and its peak RSS (VmHWM, of the process and its workers) and
answer are reported:
- nested arrays, `--depth` deep, in a message's text (a 200 KB file made the import grow to 24 GB);
- the same nesting as the value of a key the reader skips before it knows the file is an export;
- one string of `--mb` MB in a message, one number of `--mb` million digits, and one string of
  `--mb` MB of escaped backslashes (a run the byte repair once held back whole, copied at each read);
- a message whose text is a list of `--mb` MB of small objects (one message held whole);
- a full export whose contacts list takes `--mb` MB (a section tgpipe does not read);
- a chat with 2 million keys tgpipe does not read before its messages.

Run: .venv/bin/python bench/hostile_import.py [--mb 100] [--depth 100000] [--workdir DIR]
The figures end in a Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TGPIPE = Path(sys.executable).parent / "tgpipe"
DAY = 1704067200


def message(i: int, text: str = '"hi"') -> str:
    return (
        f'{{"id": {i}, "type": "message", "date": "2024-01-01T00:00:00", "date_unixtime": "{DAY + i}", '
        f'"from": "A", "from_id": "user1", "text": {text}}}'
    )


def chat(messages: list[str], extra: str = "") -> str:
    return f'{{"name": "x", "type": "private_supergroup", "id": 5,{extra} "messages": [{", ".join(messages)}]}}'


def files(mb: int, depth: int) -> dict[str, str]:
    size = mb * 1_000_000
    deep = "[" * depth + "]" * depth
    contact = '{"first_name": "C", "phone_number": "+1", "date": "2020-01-01T00:00:00"}'
    contacts = ", ".join([contact] * (size // len(contact)))
    return {
        f"nested arrays, {depth:,} deep, in a message": chat([message(1), message(2, deep), message(3)]),
        f"nested arrays, {depth:,} deep, before the export's keys": f'{{"x": {deep}, ' + chat([message(1)])[1:],
        f"one string of {mb} MB": chat([message(1), message(2, '"' + "a" * size + '"'), message(3)]),
        f"one number of {mb} million digits": chat([message(1), message(2, "9" * size), message(3)]),
        f"one string of {mb} MB of backslashes": chat([message(1), message(2, '"' + "\\\\" * (size // 2) + '"')]),
        f"one message of {mb} MB of small objects": chat(
            [message(1), message(2, "[" + ",".join(["{}"] * (size // 3)) + "]"), message(3)]
        ),
        f"contacts list of {mb} MB (not read)": (
            '{"about": "x", "personal_information": {"user_id": 1, "first_name": "A"}, "contacts": {"about": "c", '
            f'"list": [{contacts}]}}, "chats": {{"about": "", "list": [{chat([message(1), message(2)])}]}}}}'
        ),
        "2,000,000 keys of a chat (not read)": chat(
            [message(1)], extra=" ".join(f'"k{i}": [1],' for i in range(2_000_000))
        ),
    }


def run_import(path: Path, data: Path) -> tuple[int, str, float, float]:
    """Import `path` with the installed tgpipe; return its exit code, its last line, seconds and
    peak RSS in MB: the largest of the process and its workers (ru_maxrss of this process's
    children, which is why each file runs in a fresh interpreter of this bench, `--one`)."""
    import resource

    started = time.perf_counter()
    run = subprocess.run([str(TGPIPE), "import", "--data-dir", str(data), str(path)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = (run.stdout + run.stderr).strip()
    return run.returncode, out.splitlines()[-1] if out else "", seconds, peak


def one(path: Path) -> None:
    """Import one file (in this fresh process) and print code, seconds, peak MB and the last line."""
    with tempfile.TemporaryDirectory(dir=path.parent) as data:
        code, last, seconds, peak = run_import(path, Path(data))
    print(f"{code}\t{seconds:.2f}\t{peak:.0f}\t{last}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the large values, in MB")
    parser.add_argument("--depth", type=int, default=100_000, help="depth of the nested arrays")
    parser.add_argument("--workdir", type=Path, default=None, help="where the files go (default: a temp dir)")
    parser.add_argument("--one", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one)
        return
    work = Path(tempfile.mkdtemp(prefix="tgpipe-hostile-", dir=args.workdir))
    rows = []
    try:
        for n, (name, text) in enumerate(files(args.mb, args.depth).items()):
            path = work / f"{n}.json"
            path.write_text(text)
            size = path.stat().st_size
            del text
            out = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True)
            code, seconds, peak, last = out.stdout.strip().split("\t", 3)
            rows.append((name, size, int(code), float(seconds), float(peak), last))
            path.unlink()
            print(f"{name}: exit {code}, {seconds} s, peak RSS {peak} MB: {last}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"Command: `python bench/hostile_import.py --mb {args.mb} --depth {args.depth}`")
    print()
    print("| file | size | exit | seconds | peak RSS | says |")
    print("|---|---|---|---|---|---|")
    for name, size, code, seconds, peak, last in rows:
        says = last if len(last) < 120 else last[:117] + "..."
        print(f"| {name} | {size / 1e6:,.1f} MB | {code} | {seconds:.1f} | {peak:.0f} MB | {says} |")
    worst = max(peak for *_, peak, _ in rows)
    print(f"\nlargest peak RSS: {worst:.0f} MB (target: under 400 MB)")


if __name__ == "__main__":
    main()
