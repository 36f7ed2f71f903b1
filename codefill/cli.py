"""The ``codefill`` command: ``serve`` the HTTP API, ``render`` a prompt as the model sees it,
``pull`` a model from the Hugging Face Hub."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from codefill import __version__, pull_command
from codefill.errors import CodefillError, ConfigError
from codefill.eval import command as eval_command
from codefill.service.registry import check_models
from codefill.settings import Settings, load_settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codefill", description=__doc__)
    parser.add_argument("--version", action="version", version=f"codefill {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the HTTP server")
    serve.add_argument("--config", help="TOML configuration file (also CODEFILL_CONFIG)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--threads", type=int, help="CPU threads per model (default: all cores)")
    serve.add_argument(
        "--ollama-format",
        choices=["seed", "native"],
        help="answer /api/generate in the seed's format (default) or Ollama's native one",
    )
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        help="require this API key (repeat for several; also CODEFILL_API_KEYS=k1,k2)",
    )

    render = commands.add_parser(
        "render", help="print the text a model is given for a prompt read from stdin"
    )
    render.add_argument("--config", help="TOML configuration file (also CODEFILL_CONFIG)")
    render.add_argument("--model", default="default", help="model name (default: default)")
    render.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="FILE",
        help="another file to show the model, as input_extra would (repeat for several)",
    )

    pull_command.add_arguments(commands)

    evaluate = commands.add_parser("eval", help="score a server on fill-in-the-middle benchmarks")
    eval_command.add_arguments(evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "eval":
        return eval_command.run(args)
    overrides: dict[str, object] = {
        key: getattr(args, key, None)
        for key in ("host", "port", "threads", "ollama_format", "log_level")
    }
    if getattr(args, "api_keys", None):
        overrides["api_keys"] = tuple(args.api_keys)
    try:
        settings = load_settings(args.config, overrides=overrides)
        check_models(settings, args.config or os.environ.get("CODEFILL_CONFIG") or "settings")
    except ConfigError as error:
        print(f"codefill: invalid configuration:\n{error}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings)
    if args.command == "pull":
        return pull_command.pull(settings, args.model)
    if args.command == "rm":
        return pull_command.remove(settings, args.model)
    return _render(settings, args.model, args.context)


def _serve(settings: Settings) -> int:
    import uvicorn

    from codefill.api.app import build_app

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = build_app(settings)

    class DrainingServer(uvicorn.Server):
        """On SIGTERM/SIGINT, give in-flight answers the grace period, then end them cleanly."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if not self.should_exit:
                loop = asyncio.get_event_loop()
                loop.call_soon_threadsafe(app.state.serving.drain, settings.shutdown_grace_seconds)
            super().handle_exit(sig, frame)
            # uvicorn re-raises a captured signal once it has stopped, which would end the
            # process with -SIGTERM; a drained shutdown is a clean exit (status 0)
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        http="h11",
        access_log=False,  # codefill writes its own access log, without prompts or keys
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds) + 5,
    )
    DrainingServer(config).run()
    return 0


def _render(settings: Settings, model: str, context: Sequence[str]) -> int:
    from codefill.prompt.templates import parts_text
    from codefill.service.models import ModelManager
    from codefill.service.requests import CompletionRequest, ContextSnippet
    from codefill.service.serving import Serving

    try:
        extra = tuple(ContextSnippet(path, Path(path).read_text()) for path in context)
    except (OSError, UnicodeDecodeError) as error:
        print(f"codefill: cannot read a context file: {error}", file=sys.stderr)
        return 1
    request = CompletionRequest(model, sys.stdin.read(), extra=extra)

    async def render() -> str:
        manager = ModelManager(settings)
        try:
            _, built = await Serving(manager).render(request)
            return parts_text(built.parts)
        finally:
            await manager.close()

    try:
        text = asyncio.run(render())
    except CodefillError as error:
        print(f"codefill: {error.message}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0
