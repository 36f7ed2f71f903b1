"""Cross-file tasks: lines of a package's module that use a name defined in another module.

A task is one line of real code (a one-line statement, or the header of an ``if``/``for``/
``while``/``with``) in module M that uses a name M imports from module D of the same package
(``from .utils import name``, ``from pkg.utils import name``, or ``from . import utils``
then ``utils.name``), where D defines the name at its top level. The editor's view of M is
a window of lines around the line, and the name appears nowhere in that window: only D
tells what it is. The cursor sits after the line's indentation; the middle is the rest of
the line.

Each task carries its replay (see ``replay.py``): the files an editor session visited first,
in a shuffled order: D with the cursor a few lines below the definition, and two unrelated
modules of the package that never mention the name, each with its window and the chunk
around the cursor that a client such as llama.vim would keep for ``input_extra``.
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CrossFileTask", "Visit", "package_tasks"]

# Windows in lines, small because two shared cores prefill every token of every replay
BEFORE, AFTER = 16, 4  # the file being completed
VISIT_BEFORE, VISIT_AFTER = 8, 3  # a visited file
CHUNK_HALF = 12  # lines on each side of a visited file's cursor, for input_extra
UNRELATED = 2
PER_NAME = 2  # tasks per (module, name) at most, so one busy name does not dominate
_HEADERS = (ast.If, ast.For, ast.While, ast.With)
_SIMPLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.Assert)


@dataclass(frozen=True)
class Visit:
    """One FIM request of the replay: a file's window split at the cursor, and the chunk
    around the cursor that a client would send later as ``input_extra``."""

    path: str
    prefix: str
    suffix: str
    chunk: str


@dataclass(frozen=True)
class CrossFileTask:
    task_id: str
    path: str
    name: str
    defined_in: str
    prefix: str
    suffix: str
    middle: str
    visits: tuple[Visit, ...]
    warmup: Visit  # the keystroke before: the same file without the last typed character


@dataclass
class _Module:
    path: str  # relative to the install folder: "click/core.py"
    dotted: str
    lines: list[str]
    tree: ast.Module
    defines: dict[str, int]  # top-level name -> 0-based line


def package_tasks(root: Path, package: str, seed: int) -> list[CrossFileTask]:
    """Every task of the package installed under ``root`` (its import folder ``package``)."""
    modules = _modules(root, package)
    rng = random.Random(f"{package}:{seed}")
    tasks: list[CrossFileTask] = []
    for module in modules.values():
        counts: dict[str, int] = {}
        for line, column, name, defining in _uses(module, modules):
            if counts.get(name, 0) >= PER_NAME:
                continue
            task = _task(module, (line, column), name, defining, modules, rng)
            if task is not None:
                counts[name] = counts.get(name, 0) + 1
                tasks.append(task)
    return tasks


def _modules(root: Path, package: str) -> dict[str, _Module]:
    modules = {}
    for file in sorted((root / package).rglob("*.py")):
        relative = file.relative_to(root)
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        text = file.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        dotted = ".".join(parts)
        modules[dotted] = _Module(
            relative.as_posix(), dotted, text.splitlines(keepends=True), tree, _defines(tree)
        )
    return modules


def _defines(tree: ast.Module) -> dict[str, int]:
    found: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.setdefault(node.name, node.lineno - 1)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, node.lineno - 1)
    return found


def _imports(module: _Module, modules: dict[str, _Module]) -> tuple[dict[str, str], dict[str, str]]:
    """Names imported from sibling modules (name -> module) and sibling modules imported
    whole (alias -> module)."""
    names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    is_package = module.path.endswith("__init__.py")
    base = module.dotted.split(".") if is_package else module.dotted.split(".")[:-1]
    top = module.dotted.split(".")[0]
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            anchor = base[: len(base) - node.level + 1]
            source = ".".join([*anchor, *([node.module] if node.module else [])])
        elif node.module and node.module.split(".")[0] == top:
            source = node.module
        else:
            continue
        for alias in node.names:
            local = alias.asname or alias.name
            if f"{source}.{alias.name}" in modules and source != module.dotted:
                aliases[local] = f"{source}.{alias.name}"
            elif (
                source in modules
                and source != module.dotted
                and alias.asname is None
                and alias.name in modules[source].defines
            ):
                names[local] = source
    return names, aliases


def _uses(module: _Module, modules: dict[str, _Module]) -> list[tuple[int, int, str, str]]:
    """(0-based line, column of the name, name, defining module) for each candidate line,
    in file order."""
    names, aliases = _imports(module, modules)
    found = []
    for line in sorted(_one_line_statements(module.tree)):
        text = module.lines[line]
        for match in re.finditer(r"\b([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?", text):
            first, attribute = match.group(1), match.group(2)
            if first in names and first not in module.defines:
                found.append((line, match.start(1), first, names[first]))
                break
            if first in aliases and attribute and attribute in modules[aliases[first]].defines:
                found.append((line, match.start(2), attribute, aliases[first]))
                break
    return found


def _one_line_statements(tree: ast.Module) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, _SIMPLE) and node.lineno == node.end_lineno:
            lines.add(node.lineno - 1)
        elif isinstance(node, _HEADERS) and node.body and node.body[0].lineno > node.lineno:
            header_end = max(n.end_lineno or 0 for n in _header_parts(node))
            if header_end == node.lineno:
                lines.add(node.lineno - 1)
    return lines


def _header_parts(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.If | ast.While):
        return [node.test]
    if isinstance(node, ast.For):
        return [node.target, node.iter]
    assert isinstance(node, ast.With)
    return [item.context_expr for item in node.items]


def _task(
    module: _Module,
    at: tuple[int, int],
    name: str,
    defining: str,
    modules: dict[str, _Module],
    rng: random.Random,
) -> CrossFileTask | None:
    lines = module.lines
    line, column = at
    text = lines[line].rstrip("\n")
    body = text.strip()
    if not 8 <= len(body) <= 100 or body.startswith(("#", "import ", "from ")):
        return None
    if text[:column].strip():  # not at the line's start: the cursor goes before the space,
        column = len(text[:column].rstrip())  # as a prompt ending in a space misleads BPE models
    start = max(0, line - BEFORE)
    prefix = "".join(lines[start:line]) + text[:column]
    suffix = "\n" + "".join(lines[line + 1 : line + 1 + AFTER])
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    if pattern.search(prefix) or pattern.search(suffix):
        return None
    others = [
        m
        for m in modules.values()
        if m.dotted not in (module.dotted, defining)
        and len(m.lines) >= 30
        and not pattern.search("".join(m.lines))
    ]
    if len(others) < UNRELATED:
        return None
    target = modules[defining]
    definition = target.defines[name]
    visits = [_visit(target, definition + rng.randint(1, 6))]
    visits += [_visit(m, rng.randrange(len(m.lines))) for m in rng.sample(others, UNRELATED)]
    rng.shuffle(visits)
    warmup = Visit(module.path, prefix[:-1], suffix, "")
    return CrossFileTask(
        task_id=f"{module.path}:{line + 1}",
        path=module.path,
        name=name,
        defined_in=target.path,
        prefix=prefix,
        suffix=suffix,
        middle=text[column:].strip(),
        visits=tuple(visits),
        warmup=warmup,
    )


def _visit(module: _Module, cursor: int) -> Visit:
    """The file's window with the cursor at the end of line ``cursor``."""
    lines = module.lines
    cursor = min(cursor, len(lines) - 1)
    start, end = max(0, cursor - VISIT_BEFORE), cursor + 1 + VISIT_AFTER
    prefix = "".join(lines[start:cursor]) + lines[cursor].rstrip("\n")
    suffix = "\n" + "".join(lines[cursor + 1 : end])
    low, high = max(start, cursor - CHUNK_HALF), min(end, cursor + CHUNK_HALF)
    return Visit(module.path, prefix, suffix, "".join(lines[low:high]))
