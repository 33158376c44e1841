"""nbval reads --nbval-sanitize-with relative to the working directory; the path in
pyproject.toml's addopts is relative to the project root. Resolve it from there, so
`pytest` works from any directory (e.g. `cd notebooks && pytest`)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    option = getattr(config.option, "nbval_sanitize_with", None)
    if not option or Path(option).is_absolute() or Path(option).exists():
        return
    from_root = config.rootpath / option
    if from_root.exists():
        config.option.nbval_sanitize_with = str(from_root)
