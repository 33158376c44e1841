"""Real-browser fixtures: a JupyterLab server and Debian's headless Chromium.

The server runs from this interpreter's environment (so the kernel imports this
checkout's resource_magic), on 127.0.0.1 with a free port, a known token, a temporary
root directory and database, and Jupyter's config/data/runtime, IPython and JupyterLab
settings directories all in temporary folders, so nothing of the user's setup leaks in.
Chromium is the system's (/usr/bin/chromium, from apt); Playwright never downloads one.
Without Chromium, Playwright or JupyterLab the tests skip with the reason; under CI
that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Containers often give /dev/shm only 64 MB, where a JupyterLab tab can crash.
    "--disable-dev-shm-usage",
]
IN_CI = bool(os.environ.get("CI"))
SERVER_START_TIMEOUT = 60.0
# Python packages the page needs: the server, ipywidgets' and ipylab's lab extensions,
# the kernel, the browser driver.
REQUIRED_MODULES = ("jupyterlab", "jupyterlab_widgets", "ipylab", "ipykernel")
# Plugins that reach for the network or pop up toasts over the page (news, the
# extension manager's PyPI search), plus an unrelated extension that may be installed
# for the benchmarks; none is part of what we test.
DISABLED_EXTENSIONS = {
    "@jupyterlab/apputils-extension:announcements": True,
    "@jupyterlab/extensionmanager-extension": True,
    "jupysql-plugin": True,
}
LAB_SETTINGS = {
    # Render every cell into the DOM: with windowing, cells scrolled out of view are
    # detached and a locator could not find them.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none"
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


def unavailable(reason: str):
    """Skip locally, fail under CI: a browser test that did not run proved nothing."""
    if IN_CI:
        pytest.fail(f"the browser test is required under CI: {reason}", pytrace=False)
    pytest.skip(f"browser test not run: {reason}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: where it is, how to get in, what it serves."""

    url: str
    token: str
    root_dir: Path
    database_url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def lab_url(self, path: str = "") -> str:
        """The address that opens `path` (relative to the root) in a fresh workspace."""
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        """Write a notebook of code cells (kernel python3) into the root directory."""
        notebook = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"cell-{index}",
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for index, source in enumerate(cells)
            ],
            "metadata": {
                "kernelspec": {
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                    "name": "python3",
                },
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        path = self.root_dir / name
        path.write_text(json.dumps(notebook, indent=1))
        return path


def _write_isolated_config(base: Path) -> dict[str, str]:
    """Temporary Jupyter/IPython/JupyterLab dirs; returns the env that points there."""
    dirs = {
        name: base / name
        for name in ("config", "data", "runtime", "ipython", "settings", "workspaces")
    }
    for path in dirs.values():
        path.mkdir(parents=True)
    labconfig = dirs["config"] / "labconfig"
    labconfig.mkdir()
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": DISABLED_EXTENSIONS})
    )
    for relative, values in LAB_SETTINGS.items():
        path = dirs["settings"] / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return {
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "IPYTHONDIR": str(dirs["ipython"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
    }


def _wait_until_up(server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    status_url = f"{server.url}/api/status?token={server.token}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with {server.process.returncode}:\n"
                + server.log_tail()
            )
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # polling the server's status endpoint, not the page
    raise RuntimeError(
        f"JupyterLab did not answer within {SERVER_START_TIMEOUT:.0f}s:\n"
        + server.log_tail()
    )


def _shut_down_kernels(server: LabServer) -> None:
    """Ask the server to stop each kernel: kernels run in sessions of their own, so
    they are not in the server's process group."""
    api = f"{server.url}/api/kernels"
    headers = {"Authorization": f"token {server.token}"}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(api, headers=headers), timeout=5
        ) as response:
            kernels = json.load(response)
        for kernel in kernels:
            request = urllib.request.Request(
                f"{api}/{kernel['id']}", headers=headers, method="DELETE"
            )
            urllib.request.urlopen(request, timeout=15).close()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        pass  # the server is gone; its kernels notice their parent died and exit


def _stop(process: subprocess.Popen) -> None:
    """Stop the server: the whole process group it leads."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass


def start_lab(base: Path, database_url: str, user: str = "alice") -> LabServer:
    """Start JupyterLab serving `base/root`, its kernels on `database_url` as `user`."""
    root = base / "root"
    root.mkdir()
    env = {**os.environ, **_write_isolated_config(base / "jupyter")}
    env.update(
        RESOURCE_MAGIC_DATABASE_URL=database_url,
        RESOURCE_MAGIC_USER=user,
        PYTHONUNBUFFERED="1",
    )
    port = _free_port()
    token = secrets.token_hex(16)
    log_path = base / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.password=",
        "--ServerApp.allow_remote_access=False",
        "--LanguageServerManager.autodetect=False",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.extension_manager=readonly",
    ]
    if os.geteuid() == 0:  # containers and CI runners often run as root
        command.append("--allow-root")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, to stop as one
        )
    server = LabServer(
        url=f"http://127.0.0.1:{port}",
        token=token,
        root_dir=root,
        database_url=database_url,
        log_path=log_path,
        process=process,
    )
    try:
        _wait_until_up(server)
    except BaseException:
        _stop(process)
        raise
    return server


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Chromium, Playwright and JupyterLab with the widget extensions, or skip/fail."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    missing = [m for m in (*REQUIRED_MODULES, "playwright") if not _importable(m)]
    if missing:
        unavailable(
            f"missing Python packages {', '.join(missing)} (pip install -e '.[test]')"
        )


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def chromium(browser_requirements):
    """Debian's Chromium, headless, driven by Playwright. Module-scoped: Playwright's
    sync API keeps an asyncio loop running on this thread while it is open, which other
    tests (the browser's debounce, which picks its timer by that) must not inherit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def lab_factory(browser_requirements, tmp_path_factory):
    """lab_factory(database_url) -> a running LabServer, stopped after the test."""
    servers: list[LabServer] = []

    def start(database_url: str, user: str = "alice") -> LabServer:
        base = tmp_path_factory.mktemp("lab")
        server = start_lab(base, database_url, user)
        servers.append(server)
        return server

    yield start
    for server in servers:
        _shut_down_kernels(server)
        _stop(server.process)


@pytest.fixture
def page(chromium):
    """A fresh browser tab, tall enough to show the whole browser widget; closed after
    the test."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1200})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()
