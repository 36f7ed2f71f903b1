"""`codefill pull` of a big GGUF from the hub stand-in: interrupted midway, then resumed.

The stand-in of the Hugging Face Hub's HTTP API (tests/pull/hub_standin.py) serves the
given file as ``bench-org/Bench-GGUF``. A first ``codefill pull`` is interrupted (SIGINT,
as Ctrl-C) once the partial file holds ``--stop-at`` of it; a second one resumes, and has
its connection cut once more at ``--cut-at`` of what is left (huggingface_hub resumes that
one itself). Prints each run's progress lines, the bytes the stand-in sent, and the times.

    python benchmarks/pull_resume.py .cache-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codefill.service.pulled import model_dir
from tests.pull.hub_standin import HubStandIn

REPO = "bench-org/Bench-GGUF"


def command(models: Path, hub: HubStandIn, name: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CODEFILL_MODELS_DIR": str(models), "CODEFILL_HUB_ENDPOINT": hub.url}
    return subprocess.Popen(
        [sys.executable, "-m", "codefill", "pull", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def partial_size(directory: Path) -> int:
    partials = list(directory.glob("*.partial")) if directory.exists() else []
    return partials[0].stat().st_size if partials else 0


def report(title: str, started: float, sent: int, process: subprocess.Popen[str], err: str) -> None:
    print(
        f"== {title}: exit {process.returncode}, {time.monotonic() - started:.1f} s, "
        f"{sent / 1e6:.1f} MB sent by the stand-in"
    )
    for line in err.splitlines():
        print(f"   {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gguf", type=Path, help="the GGUF file the stand-in serves")
    parser.add_argument("--stop-at", type=float, default=0.5, help="interrupt the first pull here")
    parser.add_argument(
        "--cut-at", type=float, default=0.5, help="cut the second pull's connection"
    )
    parser.add_argument("--rate", type=float, default=200e6, help="bytes per second served")
    args = parser.parse_args()
    gguf: Path = args.gguf.resolve()
    size = gguf.stat().st_size
    quant = gguf.stem.rsplit("-", 1)[-1].upper()
    name = f"{REPO}:{quant}"
    hub = HubStandIn({REPO: {gguf.name: gguf}}, rate=args.rate).start()
    started = time.monotonic()
    print(f"hashing {gguf.name} ({size / 1e9:.2f} GB) for the stand-in ...", flush=True)
    hub.sha256(gguf)
    print(f"   {time.monotonic() - started:.1f} s")
    with tempfile.TemporaryDirectory(prefix="codefill-pull-") as folder:
        models = Path(folder)
        directory = model_dir(models, name)

        started = time.monotonic()
        first = command(models, hub, name)
        while first.poll() is None and partial_size(directory) < size * args.stop_at:
            time.sleep(0.02)
        first.send_signal(signal.SIGINT)
        _, err = first.communicate()
        kept = partial_size(directory)
        report("first pull, interrupted", started, hub.bytes_sent, first, err)
        print(f"   partial file kept: {kept / 1e6:.1f} MB ({100 * kept / size:.0f}%)")

        first_sent = hub.bytes_sent
        hub.bytes_sent, hub.requests[:] = 0, []
        hub.cut_after = int((size - kept) * args.cut_at)
        started = time.monotonic()
        second = command(models, hub, name)
        out, err = second.communicate()
        report("second pull, resumed (and cut once more)", started, hub.bytes_sent, second, err)
        ranges = [header for method, _, header in hub.requests if method == "GET" and header]
        print(f"   range requests: {', '.join(ranges)}")
        print(f"   installed: {out.strip()}")
        wasted = first_sent + hub.bytes_sent - size
        print(
            f"   sent in all: {(first_sent + hub.bytes_sent) / 1e6:.1f} MB, "
            f"{wasted / 1e6:.1f} MB of it twice"
        )
    hub.stop()
    return int(first.returncode != 130 or second.returncode != 0)


if __name__ == "__main__":
    raise SystemExit(main())
