"""What a user's other tools lead them to expect: ``python -m starrules``, a licence that
matches the package's metadata, a changelog."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_python_dash_m_runs_the_command_line() -> None:
    # `check` on the bundled Anyang scheme: exit 0 and the same words as `starrules check`.
    out = subprocess.run([sys.executable, "-m", "starrules", "check", str(ROOT / "schemes/anyang.star")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "anyang.star" in out.stdout + out.stderr


def test_python_dash_m_gives_usage_errors_as_the_command_does() -> None:
    out = subprocess.run([sys.executable, "-m", "starrules"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "usage:" in out.stderr


def test_the_licence_file_matches_the_metadata() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["license"] == "MIT"
    assert meta["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "WITHOUT WARRANTY OF ANY KIND" in text


def test_the_changelog_names_the_current_version() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert f"## {meta['version']}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_project_urls_name_the_repository_and_files_that_exist() -> None:
    # Every URL is in the one repository; those that name a file name one of this tree.
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(urls)
    home = urls["Source"]
    assert home.startswith("https://github.com/") and all(u.startswith(home) for u in urls.values())
    for url in urls.values():
        if "/blob/main/" in url:
            assert (ROOT / url.split("/blob/main/", 1)[1]).is_file(), url
