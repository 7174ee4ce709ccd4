"""Cheap checks of the documentation: the README's links and the site's nav name files that exist, and CI runs the
README's test command, which builds the site with `mkdocs build --strict` (that build checks every page's links)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^()\s]+)\)")  # [text](target)


def readme_links() -> list[str]:
    """The README's relative link targets, without their #fragment."""
    targets = [t for t in LINK.findall(README) if "://" not in t and not t.startswith("#")]
    return [t.split("#")[0] for t in targets]


def nav_files(nav) -> list[str]:
    """Every page file the mkdocs.yml nav names, at any depth."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [f for value in nav.values() for f in nav_files(value)]
    return [f for item in nav for f in nav_files(item)]


def test_every_page_the_readme_links_to_exists():
    links = readme_links()
    assert sum(t.startswith("docs/") for t in links) >= 5, links  # the README points into the site's pages
    missing = [t for t in links if not (ROOT / t).is_file()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_the_nav_names_only_pages_that_exist():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = ROOT / config["docs_dir"]
    published = {page: ROOT / repo_path for repo_path, page in config["extra"]["repo_pages"].items()}
    pages = nav_files(config["nav"])
    assert "index.md" in pages and any(p.startswith("reference/") for p in pages)
    missing = [p for p in pages if not (docs / p).is_file() and not (p in published and published[p].is_file())]
    assert not missing, f"mkdocs.yml nav names missing pages: {missing}"


def test_ci_runs_the_readme_test_command_which_builds_the_site_strictly():
    (command,) = [line.strip() for line in README.splitlines() if line.startswith("    ") and "pytest" in line]
    assert "mkdocs build --strict" in command
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()[-1] == command
    assert command in (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
