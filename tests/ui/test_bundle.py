"""The shipped web UI is exactly what its sources build, and ships in the wheel.

The bundle under ``codefill/ui/static/`` is committed so that ``pip install`` needs no node;
these tests make sure nobody edits it by hand or forgets to rebuild it, and that a wheel
built from a clean copy of the repository serves it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "ui"
SHIPPED = ROOT / "codefill" / "ui" / "static"


def files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_the_shipped_bundle_is_what_the_sources_and_lockfile_build(tmp_path: Path) -> None:
    """``npm ci`` from the lockfile and the build, in a copy of ``ui/``, give the same bytes."""
    work = tmp_path / "ui"
    shutil.copytree(SOURCES, work, ignore=shutil.ignore_patterns("node_modules"))
    npm = ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(npm, cwd=work, check=True, timeout=600)
    out = tmp_path / "static"
    subprocess.run(["node", "build.mjs", str(out)], cwd=work, check=True, timeout=300)
    built, shipped = files(out), files(SHIPPED)
    assert sorted(built) == sorted(shipped), "rebuild with scripts/build_ui and commit the result"
    stale = [name for name in built if built[name] != shipped[name]]
    assert stale == [], f"{stale} differ from their sources: run scripts/build_ui and commit"


def test_a_wheel_from_a_clean_copy_serves_the_pages(tmp_path: Path) -> None:
    """What ``pip install .`` installs from a fresh clone, with no node and no build step."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    clone = tmp_path / "clone"
    for name in listed:
        source = ROOT / name
        if source.is_file() and not name.startswith("ui/"):  # no node sources needed
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(clone)]
    subprocess.run(pip, check=True, timeout=600)
    (wheel,) = wheels.glob("codefill-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {
            Path(name).name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("codefill/ui/static/")
        }
        archive.extractall(tmp_path / "site")
    assert packed == files(SHIPPED)

    serve = (
        "import codefill, sys\n"
        "from starlette.testclient import TestClient\n"
        "from codefill.api.app import build_app\n"
        "from codefill.settings import Settings\n"
        "client = TestClient(build_app(Settings()))\n"
        "for path in ('/ui', '/ui/dashboard', '/ui/static/playground.js'):\n"
        "    assert client.get(path).status_code == 200, path\n"
        "print(codefill.__file__)\n"
    )
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-c", serve],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(site / "codefill" / "__init__.py")
