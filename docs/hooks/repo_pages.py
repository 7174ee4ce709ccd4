"""MkDocs hook: publish the repository files named in `extra.repo_pages` (outside docs/) as site pages, and point
relative links at their site pages, so one relative link works on GitHub and on the site alike.

A link that still leads outside the site after this stays as written, and `mkdocs build --strict` fails on it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.structure.files import File

LINK = re.compile(r"(\]\()([^()\s]+)(\))")  # [text](target) and ![alt](target)


def _repo(config) -> tuple[Path, str]:
    """The repository root and docs_dir relative to it (posix)."""
    root = Path(config.config_file_path).resolve().parent
    return root, Path(config.docs_dir).resolve().relative_to(root).as_posix()


def on_files(files, config):
    root, _ = _repo(config)
    for repo_path, page in config.extra["repo_pages"].items():
        files.append(File.generated(config, page, abs_src_path=str(root / repo_path)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    _, docs = _repo(config)
    pages = config.extra["repo_pages"]
    published = {page_uri: repo_path for repo_path, page_uri in pages.items()}
    src_uri = page.file.src_uri
    here = posixpath.dirname(published.get(src_uri, f"{docs}/{src_uri}"))  # the file's folder in the repository

    def rewrite(m: re.Match) -> str:
        url = urlsplit(m.group(2))
        if url.scheme or url.netloc or not url.path or url.path.startswith("/"):
            return m.group(0)
        target = posixpath.normpath(posixpath.join(here, url.path))
        if target in pages:
            dest = pages[target]
        elif target.startswith(f"{docs}/"):
            dest = target.removeprefix(f"{docs}/")
        else:
            return m.group(0)
        link = posixpath.relpath(dest, posixpath.dirname(src_uri) or ".")
        return f"{m.group(1)}{link}{'#' + url.fragment if url.fragment else ''}{m.group(3)}"

    return LINK.sub(rewrite, markdown)
