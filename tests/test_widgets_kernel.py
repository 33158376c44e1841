"""The browser inside a real ipykernel, driven by the messages a front end sends.

Headless tests run without an event loop, so each keystroke queries at once; here the
kernel's own loop debounces a burst of keystrokes into one query, and a click on Run
arrives as a comm message, so the run's output must land in the browser's Output area
and nowhere else; and the kernel's idle moments after the opening warm the preview's
highlighter. Both backends.
"""

from __future__ import annotations

import time

import pytest
from _lexer_probe import PROBE
from jupyter_client.manager import start_new_kernel

SETUP = """
from resource_magic.store import ResourceStore
from resource_magic.widgets import ResourceBrowser


class CountingStore(ResourceStore):
    pages = 0

    def list(self, *args, **kwargs):
        self.pages += 1
        return super().list(*args, **kwargs)


store = CountingStore({url!r}, user="alice")
for name in ("alpha", "beta", "gamma"):
    store.save(name, f"print('{{name}} ran')\\n'{{name}}'.upper()")
b = ResourceBrowser(store=store, debounce_seconds=0.5)
print(b.find('rm-search').model_id, b.find('rm-run').model_id)
"""


class Kernel:
    def __init__(self) -> None:
        self.manager, self.client = start_new_kernel(kernel_name="python3")

    def run(self, code: str) -> str:
        msg_id = self.client.execute(code)
        out = []
        while True:
            msg = self.client.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)

    def send_comm(self, comm_id: str, data: dict) -> str:
        """A comm_msg as the front end sends it; returns its message id."""
        msg = self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.client.session.send(self.client.shell_channel.socket, msg)
        return msg["header"]["msg_id"]

    def outputs_of(self, msg_id: str, wait: float = 2.0) -> list[str]:
        """Output messages the kernel published in reply to one message."""
        kinds = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                msg = self.client.get_iopub_msg(timeout=0.2)
            except Exception:  # queue.Empty: nothing more for now
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                kinds.append(msg["msg_type"])
        return kinds

    def until(self, expression: str, expected: str, timeout: float = 30) -> str:
        """Re-evaluate `expression` in the kernel until it prints `expected`."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.run(f"print({expression})").strip()
            if got == expected or time.monotonic() > deadline:
                return got

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel():
    k = Kernel()
    yield k
    k.close()


def test_typing_and_run_inside_a_kernel(url_for, kernel):
    search_id, run_id = kernel.run(SETUP.format(url=url_for("alice"))).split()
    assert kernel.run("print(len(b.find('rm-results').options))").strip() == "3"
    for text in ("g", "ga", "gam"):  # three keystrokes in quick succession
        kernel.send_comm(
            search_id,
            {"method": "update", "state": {"value": text}, "buffer_paths": []},
        )
    shown = "[o[0].split()[0] for o in b.find('rm-results').options]"
    assert kernel.until(shown, "['gamma']") == "['gamma']"
    assert kernel.run("print(b.state.query)").strip() == "gam"
    # the opening page, then one query for the burst: the kernel's loop debounced it
    assert kernel.run("print(store.pages)").strip() == "2"
    kernel.run("b.find('rm-results').value = b.find('rm-results').options[0][1]")
    click = kernel.send_comm(
        run_id, {"method": "custom", "content": {"event": "click"}}
    )
    published = kernel.outputs_of(click)
    status = kernel.until("b.state.status", "Ran 'gamma' (run 1).")
    assert status == "Ran 'gamma' (run 1)."
    assert kernel.run("print(b.find('rm-output').outputs)").strip() == (
        "({'output_type': 'stream', 'name': 'stdout', 'text': 'gamma ran\\n'}, "
        "{'output_type': 'display_data', 'data': {'text/plain': \"'GAMMA'\"}, "
        "'metadata': {}})"
    )
    # captured, not also sent to the front end as loose output of the click
    assert not {"stream", "execute_result", "display_data", "error"} & set(published)
    assert kernel.run("print(store.get('gamma').execution_count)").strip() == "1"


# Each kernel is a new process: nothing of Pygments is compiled in it yet.
WARM_SETUP = """
from resource_magic.store import ResourceStore
from resource_magic.widgets import ResourceBrowser

store = ResourceStore({url!r}, user="alice")
store.save("plain", "df = load('x')\\nprint(len(df))")
store.save("magic", "%time df = load('x')")
store.save("agent", {{"model": "m", "tools": []}}, resource_type="agent_config")
store.save("note", "Summarise {{text}}", resource_type="prompt")


def regex_lexers_compiled():
    # Pygments marks a lexer class whose rules it compiled with `_tokens` in the
    # class's own namespace: read here (never set), only to know when the idle
    # warm-up is done. JSON's lexer is hand-written: no rules to compile.
    from ipython_pygments_lexers import IPython3Lexer
    from pygments.lexers.python import PythonLexer

    return all("_tokens" in vars(c) for c in (PythonLexer, IPython3Lexer))
"""


def test_the_kernel_warms_the_highlighter_before_the_first_preview(url_for, kernel):
    kernel.run(WARM_SETUP.format(url=url_for("alice")) + PROBE)
    # the probe sees a lexer compiled and its module imported (the control)
    control = "lexers, new = compiled_by(c_lexer)\n"
    control += "print(lexers, 'pygments.lexers.c_cpp' in new)"
    assert kernel.run(control).strip() == "['CLexer'] True"
    # opening compiles nothing: the warm-up waits for the kernel to be idle
    opened = "print(compiled_by(lambda: globals().update(b=ResourceBrowser(store)))[0])"
    assert kernel.run(opened).strip() == "[]"
    # ... which it is now, between cells; no preview has been asked for
    assert kernel.until("regex_lexers_compiled()", "True") == "True"
    results = "b.find('rm-results')"
    names = f"[o[0].split()[0] for o in {results}.options]"
    assert kernel.run(f"print(sorted({names}))").strip() == (
        "['agent', 'magic', 'note', 'plain']"
    )
    for name in ("plain", "magic", "agent", "note"):  # each type's first preview
        pick = (
            f"r = {results}; "
            f"r.value = next(v for label, v in r.options if label.startswith({name!r}))"
        )
        seen = kernel.run(f"print(compiled_by(lambda: exec({pick!r})))").strip()
        assert seen == "([], [])", name
        shown = kernel.run("print(b.state.preview.record.name)").strip()
        assert shown == name
