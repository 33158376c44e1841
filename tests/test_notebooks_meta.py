"""The tutorial notebooks are tests (nbval, configured in pyproject.toml); these checks
keep that honest: every cell was executed and so is compared, nothing is excused from
comparison without a reason, refusals are the only errors, every notebook works on a
temporary database of its own, and the sanitiser masks what varies and nothing else.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = (
    "quickstart",
    "versions",
    "prompts_and_configs",
    "sharing",
    "browser",
    "team_postgres",
)
SQLITE_NAMES = tuple(name for name in NAMES if name != "team_postgres")
SANITIZER = NOTEBOOKS / "nbval_sanitize.cfg"
# (notebook, first line of the cell) -> why its output cannot be compared. Empty: every
# cell's output is compared, with the sanitiser masking tokens, times and paths.
IGNORED_OUTPUTS: dict[tuple[str, str], str] = {}
ERROR_TAG = "raises-exception"


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def code_cells(name: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in load(name).cells if cell.cell_type == "code"]


def output_texts(cell: nbformat.NotebookNode) -> list[str]:
    """Every text nbval compares in a cell's outputs."""
    texts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type == "error":
            texts.append(f"{output.ename}: {output.evalue}")
        else:
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str) and not mime.startswith("image/"):
                    texts.append(value)
    return texts


def sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns(SANITIZER.read_text()):
        text = re.sub(regex, replace, text)
    return text


# -- how pytest runs them ------------------------------------------------------------
def test_plain_pytest_runs_the_notebooks_under_nbval_comparing_outputs():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"
    ]
    addopts = options["addopts"].split()
    assert "notebooks" in options["testpaths"]
    assert "--nbval" in addopts and "--nbval-lax" not in addopts
    assert "--nbval-current-env" in addopts  # the kernel is this venv's Python
    sanitizer = addopts[addopts.index("--nbval-sanitize-with") + 1]
    assert (ROOT / sanitizer) == SANITIZER and SANITIZER.exists()


def test_every_notebook_is_there_and_nothing_else():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


# -- committed outputs: executed, compared, no hidden errors ---------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_cell_was_executed_in_order(name):
    """nbval compares only cells with an execution count; an unexecuted cell would pass
    whatever it printed."""
    counts = [cell.execution_count for cell in code_cells(name)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"re-run notebooks/execute.py {name}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_outputs_are_committed(name):
    cells = code_cells(name)
    with_output = [cell for cell in cells if cell.outputs]
    assert len(with_output) >= len(cells) // 2


@pytest.mark.parametrize("name", NAMES)
def test_a_tutorial_starts_with_a_title_and_explains_its_steps(name):
    cells = load(name).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    markdown = sum(cell.cell_type == "markdown" for cell in cells)
    assert markdown * 2 >= len(code_cells(name))


@pytest.mark.parametrize("name", NAMES)
def test_output_comparison_is_skipped_only_where_listed(name):
    marked = {
        (name, cell.source.splitlines()[0])
        for cell in code_cells(name)
        if "NBVAL_IGNORE_OUTPUT" in cell.source
    }
    assert marked == {key for key in IGNORED_OUTPUTS if key[0] == name}
    for cell in code_cells(name):
        assert not re.search(r"NBVAL_SKIP|PYTEST_VALIDATE_IGNORE", cell.source)
        assert not set(cell.metadata.get("tags", ())) & {
            "nbval-skip",
            "nbval-ignore-output",
        }


@pytest.mark.parametrize("name", NAMES)
def test_the_only_errors_are_the_refusals_each_tagged_cell_shows(name):
    """A cell tagged raises-exception (so execution goes on) must show exactly one
    one-line UsageError and nothing else; other cells show no error at all."""
    for cell in code_cells(name):
        texts = output_texts(cell)
        errors = [t for t in texts if "UsageError" in t or "Traceback" in t]
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        if ERROR_TAG in cell.metadata.get("tags", ()):
            assert len(cell.outputs) == 1 and cell.outputs[0].get("name") == "stderr"
            assert re.fullmatch(r"UsageError: [^\n]+\n", cell.outputs[0].text)
        else:
            assert errors == [], cell.source


# -- their own temporary database ------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_the_database_is_configured_before_anything_opens_one(name):
    sources = [cell.source for cell in code_cells(name)]
    first_use = next(
        i
        for i, source in enumerate(sources)
        if re.search(r"%resource |ResourceStore\(|ResourceBrowser\(", source)
    )
    setup = "\n".join(sources[: first_use + 1])
    assert "%config ResourceMagic.database_url = database_url" in setup
    assert setup.index("ResourceMagic.database_url") < (
        setup.index("%resource ") if "%resource " in setup else len(setup)
    )
    if name == "team_postgres":
        assert 'CREATE DATABASE "{database_name}"' in setup
        assert 'DROP DATABASE "{database_name}"' in sources[-1]
    else:
        assert 'tempfile.mkdtemp(prefix="rm-nb-")' in setup
        assert "shutil.rmtree(workdir" in sources[-1]
    code = "\n".join(sources)
    assert "RESOURCE_MAGIC_DATABASE_URL" not in code


@pytest.fixture
def bare_shell(tmp_path, monkeypatch):
    """A real InteractiveShell with nothing configured (the notebook does that)."""
    import atexit

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    yield shell
    workdir = shell.user_ns.get("workdir")
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    shell.atexit_operations()
    atexit.unregister(shell.atexit_operations)
    InteractiveShell.clear_instance()


@pytest.mark.parametrize("name", SQLITE_NAMES)
def test_setup_cell_uses_a_new_temporary_sqlite_file(name, bare_shell, tmp_path):
    """Run the notebook's real setup cell: the user's default database (here the
    conftest's stand-in, RESOURCE_MAGIC_DATABASE_URL) is never created. SQLite only:
    these notebooks are about the embedded default; team_postgres makes a database on
    a server, checked above and by nbval."""
    default = tmp_path / "default.db"
    setup = next(
        cell.source
        for cell in code_cells(name)
        if "ResourceMagic.database_url" in cell.source
    )
    assert bare_shell.run_cell(setup).success
    result = bare_shell.run_cell("%resource list")
    assert result.success
    url, _ = bare_shell.magics_manager.registry["ResourceMagic"].settings()
    workdir = bare_shell.user_ns["workdir"]
    assert url == f"sqlite:///{workdir / 'resources.db'}"
    assert (workdir / "resources.db").exists()
    assert not default.exists()


# -- the sanitiser ---------------------------------------------------------------------
TOKEN = "rmshr_" + "Ab-_0123456789abcdefghijklmnopqr"  # 32 characters after rmshr_


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"    %resource open {TOKEN}\n", "    %resource open rmshr_<TOKEN>\n"),
        (f"revoke {TOKEN[:10]}.", "revoke rmshr_<PREFIX>."),
        (f"the share {TOKEN[:10]}… of", "the share rmshr_<PREFIX>… of"),
        ("0 2026-11-25 13:48:51+00:00  ", "0 <TIME>  "),
        ("(expires 2026-12-02 13:51 UTC, up", "(expires <TIME>, up"),
        ("at 2026-12-02T13:51:07.123456Z.", "at <TIME>."),
        ("id 6f1c2b9e-3d4a-4e5f-8a7b-0c1d2e3f4a5b ok", "id <UUID> ok"),
        (
            "database: sqlite:////tmp/rm-nb-q554wbmn/resources.db",
            "database: sqlite:///<TMPDIR>/resources.db",
        ),
        (
            "database: postgresql+psycopg://postgres:***@/rm_tutorial_0a1b?host=%2Ftmp\n",
            "database: postgresql+psycopg://<SERVER>/<DATABASE>\n",
        ),
        (
            "ResourceBrowser(children=(HTML(value='<style>\\n.rm-browser …",
            "ResourceBrowser(...)",
        ),
        # what does not vary stays, so a change in it fails the comparison
        (
            "Saved 'etl' as version 2 on 2024-06-01.",
            "Saved 'etl' as version 2 on 2024-06-01.",
        ),
        ("Paste a share token (it starts with rmshr_) first.", None),
        ("valid_for  7 days", None),
        ("use 1 of 3, rmshr_ab", None),
        # team_postgres's roles carry its run's tag (role names are server-wide)
        ("you are 'bob_0a1b2c3d4e5f' (your", "you are 'bob_<RUN>' (your"),
        (
            "(owner role rm_rm_tutorial_0a1b2c3d4e5f_9e8d7c_owner, group",
            "(owner role rm_rm_tutorial_<RUN>_owner, group",
        ),
        ("alice_0a1b2c3d4e5f          0  yes", "alice_<RUN>          0  yes"),
        ("the_0a1b2c3d4e5f6 x_0a1b2c3d4e5", None),  # not 12 digits: stays
    ],
)
def test_sanitizer_masks_what_varies_only(text, expected):
    assert sanitize(text) == (text if expected is None else expected)


@pytest.mark.parametrize("name", NAMES)
def test_sanitized_outputs_hold_nothing_that_changes_between_runs(name):
    """Whatever varies run to run must be masked, or nbval would fail at random."""
    varying = re.compile(
        r"rmshr_(?!<)[A-Za-z0-9_-]{4}"  # a real token or prefix
        r"|\d\d:\d\d:\d\d|\d\d:\d\d UTC"  # a time
        r"|/tmp/|rm-nb-|rmnbpg|rm_tutorial_(?!<RUN>)|127\.0\.0\.1"  # a path, server,
        r"|_[0-9a-f]{12}"  # database or role
    )
    for cell in code_cells(name):
        for text in output_texts(cell):
            assert not varying.search(sanitize(text)), (cell.source, sanitize(text))


# -- notebooks/execute.py --show: the headless way to read a notebook ------------------
def test_show_prints_each_cell_and_what_it_showed_as_text():
    import importlib.util

    spec = importlib.util.spec_from_file_location("execute", NOTEBOOKS / "execute.py")
    execute = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(execute)
    quickstart = load("quickstart")
    text = execute.as_text(quickstart)
    for cell in quickstart.cells:  # the text between the code cells too
        if cell.cell_type == "markdown":
            assert cell.source.rstrip("\n") + "\n\n" in text
    assert text.startswith(quickstart.cells[0].source)
    assert "In [2]:\n    %resource whoami\nuser: alice\n" in text
    assert "Saved workflow 'clean-sales' (version 1).\n" in text
    assert "UsageError: 'clean-sales' has no parameter 'min_amout'." in text
    browser = execute.as_text(load("browser"))
    assert (
        "    %resource browse\n[a widget: open the notebook in JupyterLab to use it]\n"
        in browser
    )


def test_show_runs_a_notebook_and_prints_only_its_cells(tmp_path):
    """The command a README reader types: markdown and code in order, and nothing of
    the kernel's own logging (such as its warning about unencrypted TCP)."""
    import subprocess
    import sys

    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A title\n\nWhy the next cell runs."),
        nbformat.v4.new_code_cell("print(6 * 7)"),
        nbformat.v4.new_markdown_cell("The end."),
    ]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(notebook, path)
    before = path.read_bytes()
    done = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "execute.py"), "--show", str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "# A title\n\nWhy the next cell runs.\n\n"
        "In [1]:\n    print(6 * 7)\n42\n\n"
        "The end.\n\n"
    )
    assert done.stderr == f"executing {path} ...\n"
    assert path.read_bytes() == before  # --show leaves the file alone


@pytest.mark.parametrize("fails", [False, True])
def test_the_kernels_own_log_shows_only_when_a_run_fails(tmp_path, fails):
    """The kernel process's logging (ipykernel now and then logs a socket error while
    it shuts down) is not the notebook's output: hidden when every cell runs, printed
    when one fails, where it may say why."""
    import subprocess
    import sys

    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            'get_ipython().kernel.log.warning("the kernel logs this")\nprint(1)'
        )
    ]
    if fails:
        notebook.cells.append(nbformat.v4.new_code_cell('raise ValueError("boom")'))
    path = tmp_path / "logs.ipynb"
    nbformat.write(notebook, path)
    done = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "execute.py"), "--show", str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == (1 if fails else 0), done.stderr
    assert ("the kernel logs this" in done.stderr) is fails, done.stderr
    if fails:
        assert f"{path}: a cell failed, nothing written:" in done.stderr
    else:
        assert done.stderr == f"executing {path} ...\n"
        cell = 'get_ipython().kernel.log.warning("the kernel logs this")'
        assert done.stdout == f"In [1]:\n    {cell}\n    print(1)\n1\n\n"
