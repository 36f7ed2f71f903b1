"""Session memory: bounds, expiry, isolation and the stable order of chosen chunks."""

from __future__ import annotations

from codefill.service.chunks import Chunk
from codefill.service.memory import MemoryBounds, SessionMemory


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def module(name: str, *functions: str) -> str:
    return "".join(
        f"def {function}(value):\n    '''{name}'''\n    return value\n\n\n"
        for function in functions
    )


def free(chunk: Chunk) -> int:
    return 1


def memory(**bounds: float) -> tuple[SessionMemory, Clock]:
    clock = Clock()
    return SessionMemory(MemoryBounds(**bounds), clock), clock  # type: ignore[arg-type]


def test_chunks_come_from_other_files_of_the_same_session() -> None:
    store, _ = memory()
    store.record("a", "util.py", module("util", "load_config", "save_config"))
    store.record("a", "app.py", module("app", "main"))
    store.record("b", "secret.py", module("secret", "load_config_secretly"))
    chosen = store.select("a", "cfg = load_config(path)", "app.py", 100, free)
    assert [c.path for c in chosen] == ["util.py"]
    assert chosen[0].text.startswith("def load_config(")
    # the current file is never its own context; another session sees nothing of "a"
    assert store.select("a", "main()", "app.py", 100, free) == []
    assert [c.path for c in store.select("b", "load_config", "x.py", 100, free)] == ["secret.py"]
    assert store.select("c", "load_config", "x.py", 100, free) == []


def test_the_budget_takes_the_most_relevant_first() -> None:
    store, _ = memory()
    store.record("s", "util.py", module("util", "parse_rows", "write_rows", "unrelated"))
    chosen = store.select("s", "rows = parse_rows(text)", "app.py", 1, free)
    assert [c.text.split("(")[0] for c in chosen] == ["def parse_rows"]
    assert store.select("s", "rows = parse_rows(text)", "app.py", 0, free) == []


def test_chosen_chunks_keep_their_places_and_new_ones_are_appended() -> None:
    store, _ = memory()
    store.record("s", "a.py", module("a", "alphabet"))
    store.record("s", "b.py", module("b", "betamax"))
    first = store.select("s", "alphabet()", "app.py", 10, free)
    second = store.select("s", "alphabet()\nbetamax()", "app.py", 10, free)
    assert [c.path for c in first] == ["a.py"]
    assert [c.path for c in second] == ["a.py", "b.py"]
    # beta is now the better match, yet alpha keeps the first place
    third = store.select("s", "betamax() betamax alphabet", "app.py", 10, free)
    assert [c.path for c in third] == ["a.py", "b.py"]


def test_a_file_sent_again_replaces_its_old_text() -> None:
    store, _ = memory()
    store.record("s", "util.py", module("util", "obsolete"))
    store.record("s", "util.py", module("util", "renamed"))
    assert store.select("s", "obsolete()", "app.py", 10, free) == []
    assert len(store.select("s", "renamed()", "app.py", 10, free)) == 1


def test_a_session_keeps_at_most_max_chars_dropping_the_oldest_files() -> None:
    store, _ = memory(max_chars=2048)
    text = module("x", "f") + "#" * 700 + "\n"
    for name in ("one.py", "two.py", "three.py", "four.py"):
        store.record("s", name, text)
    assert store.files("s") == ["three.py", "four.py"]
    store.record("s", "huge.py", "x = 1\n" * 1000)  # over the bound alone: not kept
    assert "huge.py" not in store.files("s")


def test_at_most_max_sessions_the_least_recently_used_goes() -> None:
    store, _ = memory(max_sessions=2)
    for key in ("a", "b"):
        store.record(key, "f.py", module(key, "f"))
    store.select("a", "f", "x.py", 10, free)  # "a" is now the most recent
    store.record("c", "f.py", module("c", "f"))
    assert len(store) == 2
    assert store.files("b") == [] and store.files("a") == ["f.py"]


def test_idle_sessions_expire() -> None:
    store, clock = memory(ttl=60)
    store.record("s", "f.py", module("s", "f"))
    clock.now = 59
    assert store.files("s") == ["f.py"]  # reading renews it
    clock.now = 118
    assert len(store) == 1
    clock.now = 120
    assert len(store) == 0 and store.select("s", "f", "x.py", 10, free) == []
