"""The layering rules, checked on the source: imports point one way."""

from __future__ import annotations

import ast
from pathlib import Path

import codefill

PACKAGE = Path(codefill.__file__).parent


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def modules() -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE)): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_only_the_llama_cpp_engine_imports_llama_cpp() -> None:
    users = {
        m for m, names in modules().items() if any(n.split(".")[0] == "llama_cpp" for n in names)
    }
    assert users == {"engine/llama_cpp.py", "engine/gguf.py"}


def test_nothing_below_the_http_layer_imports_the_web_framework() -> None:
    web = {"fastapi", "starlette", "uvicorn"}
    offenders = {
        module
        for module, names in modules().items()
        if not module.startswith("api/")
        and module != "cli.py"
        and any(name.split(".")[0] in web for name in names)
    }
    assert offenders == set()


def test_lower_layers_do_not_import_upper_ones() -> None:
    rules = {
        "engine/": ("codefill.api", "codefill.service"),
        "prompt/": ("codefill.api", "codefill.service", "codefill.engine"),
        "postprocess/": ("codefill.api", "codefill.service", "codefill.engine"),
        "service/": ("codefill.api",),
    }
    offenders = [
        (module, name)
        for module, names in modules().items()
        for prefix, forbidden in rules.items()
        if module.startswith(prefix)
        for name in names
        if name.startswith(forbidden)
    ]
    assert offenders == []


def test_dialects_do_not_import_each_other() -> None:
    """Each dialect's folder is its own; only ``api/completions.py`` knows two of them."""
    dialects = ("ollama", "openai", "llamacpp", "tabby")
    offenders = [
        (module, name)
        for module, names in modules().items()
        for dialect in dialects
        if module.startswith(f"api/{dialect}/")
        for name in names
        if any(name.startswith(f"codefill.api.{other}") for other in dialects if other != dialect)
    ]
    assert offenders == []
    assert all(any(m.startswith(f"api/{d}/") for m in modules()) for d in dialects)


def test_the_package_declares_its_public_names() -> None:
    assert codefill.__all__ == sorted(codefill.__all__) and "__version__" in codefill.__all__
