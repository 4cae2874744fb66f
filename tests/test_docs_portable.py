"""Docs show commands that run from the repository root of any clone: no machine-specific absolute paths."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# An absolute path into a person's or a machine's folders (a clone's location, a home, a scratch folder).
MACHINE_PATH = re.compile(r"(?<![\w.~$}])/(?:work|home|root|Users|tmp|var/folders|mnt|opt)/[\w.+-]+")
# Paths that name a system location every machine has, not this one's (allowed in docs).
SYSTEM_PATHS = ("/usr/bin/", "/etc/", "/dev/")


def machine_paths(text: str) -> list[str]:
    """Absolute machine-specific paths found in a document's text."""
    return [m.group(0) for m in MACHINE_PATH.finditer(text)]


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_the_detector_finds_machine_paths_and_spares_relative_ones() -> None:
    assert machine_paths("`git clone /work/main /tmp/ci && cd /tmp/ci`") == ["/work/main", "/tmp/ci", "/tmp/ci"]
    assert machine_paths("open /home/ana/setnet/data/reports") == ["/home/ana"]
    assert machine_paths('d=$(mktemp -d) && git clone -q . "$d" && cd "$d"') == []
    assert machine_paths("`data/reports/2025-11-30/index.html`, `.venv/bin/setnet`, http://127.0.0.1:4200/api") == []
    assert machine_paths("/usr/bin/chromium") == []


def test_no_document_quotes_a_machine_specific_path() -> None:
    found = {str(doc.relative_to(ROOT)): machine_paths(doc.read_text(encoding="utf-8")) for doc in documents()}
    assert {doc: paths for doc, paths in found.items() if paths} == {}
