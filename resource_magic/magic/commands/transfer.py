"""%resource export / import: my resources to and from a JSON file."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path

from IPython.core.magic_arguments import argument

from ...errors import InvalidInput
from ..parser import allow_secrets
from ..registry import Context, subcommand

_BAD_PATH = "a file name cannot hold a NUL character or an unpaired surrogate."
# From this many resources on, export and import show a progress bar.
PROGRESS_FROM = 20
_NAMES_SHOWN = 10


@subcommand("export")
@argument("file", metavar="FILE", help="the JSON file to write")
@argument(
    "names", metavar="NAME", nargs="*", help="what to export (default: all yours)"
)
def export(ctx: Context, args: argparse.Namespace) -> None:
    """Write your resources (all, or these) with every version and output to JSON.

    Examples
    --------
    %resource export backup.json
    %resource export two.json etl-daily summarise
    """
    data = ctx.store.export(args.names or None)
    path = Path(args.file).expanduser()
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            _write(handle, data, terminal_only=ctx.bars_need_a_terminal)
        os.replace(partial, path)  # readers never see half a file
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise InvalidInput(f"Cannot write {args.file}: {exc.strerror}.") from None
    except ValueError:  # the OS takes no NUL or unpaired surrogate in a file name
        raise InvalidInput(f"Cannot write {args.file!r}: {_BAD_PATH}") from None
    items = data["resources"]
    versions = sum(len(item["versions"]) for item in items)
    print(
        f"Exported {_count(len(items), 'resource')} ({_count(versions, 'version')}) "
        f"to {args.file}."
    )


def _write(handle, data: dict, *, terminal_only: bool) -> None:
    """json.dump(data), one resource at a time so a progress bar can follow."""
    items = data["resources"]
    head = {key: value for key, value in data.items() if key != "resources"}
    handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "resources": [')
    with _progress(len(items), "export", terminal_only) as advance:
        for position, item in enumerate(items):
            handle.write(("," if position else "") + "\n")
            handle.write(json.dumps(item, ensure_ascii=False))
            advance(1)
    handle.write("\n]}\n")


@contextlib.contextmanager
def _progress(total: int, label: str, terminal_only: bool):
    """A tqdm.auto bar (notebook widget or terminal) when there are many; yields its
    update function, or a no-op. `terminal_only`: no bar unless stderr is a terminal
    (tqdm's disable=None; a notebook widget still shows)."""
    if total < PROGRESS_FROM:
        yield lambda n: None
        return
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total,
        desc=label,
        unit="resource",
        disable=None if terminal_only else False,
    )
    try:
        yield bar.update
    finally:
        bar.close()


@subcommand("import")
@argument("file", metavar="FILE", help="a file %%resource export wrote")
@allow_secrets
def import_(ctx: Context, args: argparse.Namespace) -> None:
    """Read resources from an export file: all or nothing; names you have get new
    versions.

    Examples
    --------
    %resource import backup.json
    """
    data = _read(args.file)
    items = data.get("resources") if isinstance(data, dict) else None
    total = len(items) if isinstance(items, list) else 0
    with _progress(total, "import", ctx.bars_need_a_terminal) as advance:
        result = ctx.store.import_(
            data, progress=advance, allow_secrets=args.allow_secrets
        )
    done = len(result.created) + len(result.new_versions)
    parts = []
    if result.created:
        parts.append(f"new: {_names(result.created)}")
    if result.new_versions:
        parts.append(f"new versions of: {_names(result.new_versions)}")
    detail = f" ({'; '.join(parts)})" if parts else ""
    print(f"Imported {_count(done, 'resource')} from {args.file}{detail}.")


def _read(file: str) -> object:
    try:
        text = Path(file).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Cannot read {file}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{file} is not a text file: give a file written by %resource export."
        ) from None
    except ValueError:  # the OS takes no NUL or unpaired surrogate in a file name
        raise InvalidInput(f"Cannot read {file!r}: {_BAD_PATH}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}): give a file written by %resource export."
        ) from None
    except RecursionError:
        raise InvalidInput(f"{file} is nested too deeply to be an export.") from None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    if len(names) > _NAMES_SHOWN:
        shown += f" and {len(names) - _NAMES_SHOWN} more"
    return shown
