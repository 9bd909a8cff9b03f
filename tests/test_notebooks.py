"""The notebooks in notebooks/ run top to bottom without error, and are committed without outputs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_compare_models.ipynb",
                                           "03_sweeps_and_sensitivity.ipynb", "04_measures.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    assert book.metadata["kernelspec"]["name"] == "python3"
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: outputs were committed; clear them (in Jupyter: Edit > Clear Outputs of All Cells) "
                "and save")
    assert any(cell.cell_type == "markdown" for cell in book.cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.timeout(300)  # waits on a Jupyter kernel: a hang fails here, with the stack
def test_runs_top_to_bottom(path: Path, tmp_path: Path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=300, kernel_name="python3",  # ipykernel of this environment
                            resources={"metadata": {"path": str(path.parent)}})  # run in notebooks/, as Jupyter does
    try:
        client.execute(env={**os.environ, "TMPDIR": str(tmp_path)})  # the notebooks' temp folders land here
    except CellExecutionError as exc:  # the message holds the cell and its traceback
        pytest.fail(f"{path.name} failed:\n{exc}")
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = sum("image/png" in o.get("data", {}) for c in book.cells if c.cell_type == "code" for o in c.outputs)
    assert images >= 1, f"{path.name} drew no figure"
    left = [p.name for p in tmp_path.iterdir() if p.is_dir()]  # TMPDIR: every folder a notebook made is gone again
    assert not left, f"{path.name} left {left} in the temporary folder"


@pytest.mark.slow
@pytest.mark.timeout(300)  # waits on a JupyterLab server: a hang fails here, with the stack
def test_tasks_notebook_serves_jupyterlab_whose_kernel_imports_the_project(tmp_path: Path):
    """`python3 tasks.py notebook` (with jupyter lab's options) starts JupyterLab on the project's kernel."""
    import secrets
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    root = Path(__file__).resolve().parents[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(8)
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(root / "tasks.py"), "notebook", "--no-browser", f"--port={port}",
                             f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1",
                             *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers run as root
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})

    def get(path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=10) as response:
            return response.read()

    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text(errors="replace")[-3000:]
            try:
                get("/api/status")
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 120 s"
                time.sleep(0.5)
        assert b"JupyterLab" in get("/lab")
        found = asyncio.run(run_in_a_kernel(port, token, "import sim; print(sim.__file__)"))
        assert Path(found.strip()).resolve() == root / "sim" / "__init__.py"  # this checkout, installed in .venv
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        log.close()


async def run_in_a_kernel(port: int, token: str, code: str) -> str:
    """Start a kernel on the Jupyter server, run ``code`` there over its websocket, return what it printed."""
    import json
    import urllib.request
    import uuid

    from tornado.websocket import websocket_connect

    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels?token={token}", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        kernel = json.loads(response.read())["id"]
    socket = await websocket_connect(f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?token={token}")
    msg_id = uuid.uuid4().hex
    socket.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                   "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False}}))
    printed = []
    while True:
        message = json.loads(await asyncio.wait_for(socket.read_message(), timeout=120))
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            raise AssertionError("\n".join(message["content"]["traceback"]))
        elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            socket.close()
            return "".join(printed)
