"""The magic in a real Jupyter kernel (ipykernel over ZMQ), where results and displays
travel as messages rather than terminal text: --run must still show and capture them."""

from __future__ import annotations

import base64

import jupyter_client.manager
import pytest
from _images import png


@pytest.fixture
def kernel(backend):
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    client.wait_for_ready(timeout=60)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code: str) -> tuple[dict, list[dict]]:
    """Run `code`; returns the reply content and the iopub messages it produced."""
    messages: list[dict] = []
    reply = client.execute_interactive(
        code, timeout=60, output_hook=messages.append, allow_stdin=False
    )
    return reply["content"], messages


def outputs(messages: list[dict]) -> list[tuple[str, object]]:
    found = []
    for message in messages:
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            found.append((content["name"], content["text"]))
        elif kind in ("display_data", "execute_result"):
            found.append((kind, content["data"]))
        elif kind == "error":
            found.append(("error", content["ename"] + ": " + content["evalue"]))
    return found


def test_run_captures_and_shows_outputs_in_a_kernel(kernel, url_for, make_store):
    setup = (
        "%load_ext resource_magic\n"
        f"%config ResourceMagic.database_url = {url_for('alice')!r}\n"
        "%config ResourceMagic.user = 'alice'\n"
        f"PNG = {png()!r}\n"
    )
    reply, _ = execute(kernel, setup)
    assert reply["status"] == "ok"
    reply, messages = execute(
        kernel,
        "%%resource save plot --run\n"
        "from IPython.display import Image, HTML, display\n"
        "print('rows: 3')\n"
        "display(HTML('<b>ok</b>'))\n"
        "Image(data=PNG)\n",
    )
    assert reply["status"] == "ok", outputs(messages)
    shown = outputs(messages)
    kinds = [kind for kind, _ in shown]
    assert kinds == ["stdout", "display_data", "display_data", "stdout"], shown
    assert shown[0][1] == "rows: 3\n"
    assert shown[1][1]["text/html"] == "<b>ok</b>"
    assert base64.b64decode(shown[2][1]["image/png"]) == png()
    assert shown[3][1] == (
        "Saved workflow 'plot' (version 1).\nStored 3 captured outputs with it.\n"
    )
    stored = make_store("alice").attachments("plot")
    assert [(a.mime_type, a.data) for a in stored] == [
        ("text/plain", b"rows: 3\n"),
        ("text/html", b"<b>ok</b>"),
        ("image/png", png()),
    ]

    # a cell that raises: its traceback shows as usual, then one line; nothing saved
    reply, messages = execute(kernel, "%%resource save broken --run\n1 / 0\n")
    assert reply["status"] == "error" and reply["ename"] == "UsageError"
    assert reply["evalue"] == (
        "The cell raised ZeroDivisionError, so 'broken' was not saved: fix the cell "
        "and run it again."
    )
    assert ("error", "ZeroDivisionError: division by zero") in outputs(messages)
    assert make_store("alice").names() == ["plot"]

    # a user mistake is one line in the kernel too: no traceback frames
    reply, messages = execute(kernel, "%resource show nope")
    assert reply["status"] == "error"
    assert reply["ename"] == "UsageError"
    assert reply["evalue"] == (
        "No resource named 'nope': see your resources with %resource list."
    )
    assert outputs(messages) == [
        (
            "stderr",
            "UsageError: No resource named 'nope': see your resources with "
            "%resource list.\n",
        )
    ]

    # share: the message once as a stream, no execute_result; the token is the value
    reply, messages = execute(kernel, "%resource share plot --max-uses 1")
    shown = outputs(messages)  # streams may come in more than one message
    assert {kind for kind, _ in shown} == {"stdout"}, shown
    text = "".join(part for _, part in shown)
    assert text.startswith("Shared 'plot' (never expires, up to 1 use).")
    assert text.count("Shared 'plot'") == 1
    reply, messages = execute(kernel, "tok = %resource share plot\nprint(tok)")
    shown = outputs(messages)
    assert {kind for kind, _ in shown} == {"stdout"}, shown
    text = "".join(part for _, part in shown)
    token = text.splitlines()[-1]  # what print(tok) printed
    assert token.startswith("rmshr_") and text.count("Shared 'plot'") == 1
    assert text.count(token) == 3  # the message's two lines, then print(tok)
    assert make_store("bob").open(token).resource.name == "plot"

    # an empty list: its message, and no "Empty DataFrame" result after it
    reply, messages = execute(kernel, "%resource list -s no-such-thing")
    assert outputs(messages) == [("stdout", "None of your resources match.\n")]

    # `df = %resource list` gives a DataFrame in the kernel
    reply, messages = execute(kernel, "df = %resource list\ntype(df).__name__")
    assert outputs(messages) == [("execute_result", {"text/plain": "'DataFrame'"})]
