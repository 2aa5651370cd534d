"""Warm kernels: papermill runs each notebook in a kernel that earlier notebooks have started.

Starting the project's kernel and importing polars, Altair and the package costs 6–8 s, more
than most notebooks' own work. A build runs five notebooks and ``make editions`` runs five per
month, so the build lends each notebook a kernel from a :class:`KernelPool` instead of starting a
new one. Between two notebooks the kernel is reset as a fresh one would be: a new IPython
session (empty namespace, execution count 1), the notebooks folder as working directory, the
build's ``SOURCE_DATE_EPOCH``. Imported modules stay loaded, which is the point: the package's
caches (country names, templates, the Vega bundle) are the same for every edition.

A kernel whose notebook failed or was interrupted is shut down, never lent again.

papermill executes the notebook through its documented engine extension point: the engine
below is papermill's own nbclient engine, handed the pool's kernel manager.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

from haiti_report.build.kernel import KERNEL_NAME
from haiti_report.build.reproducible import ENV as EPOCH_ENV

ENGINE_NAME = "haiti-warm-kernel"
START_TIMEOUT_S = 120
RESET_TIMEOUT_S = 60


def _reset_code(cwd: Path) -> str:
    """What makes a used kernel look new to the next notebook (run silently: it does not
    count as an execution)."""
    epoch = os.environ.get(EPOCH_ENV)
    return (
        "get_ipython().reset(new_session=True)\n"
        "import os as _os\n"
        f"_os.chdir({json.dumps(str(cwd))})\n"
        + (
            f"_os.environ[{EPOCH_ENV!r}] = {json.dumps(epoch)}\n"
            if epoch
            else f"_os.environ.pop({EPOCH_ENV!r}, None)\n"
        )
        + "del _os\n"
    )


class KernelPool:
    """Started kernels of the project's kernelspec, each lent to one notebook at a time.

    Use as a context manager: leaving it shuts every kernel down. Kernels start on demand (a
    build that runs nothing starts none), at most one per notebook running at the same time."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._started: list[Any] = []
        self._lock = threading.Lock()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            started, self._started = self._started, []
        for km in started:
            _shutdown(km)

    def _start(self) -> Any:
        from jupyter_client import KernelManager

        # The client nbclient makes from this manager must be the asynchronous one it expects.
        km = KernelManager(
            kernel_name=KERNEL_NAME, client_class="jupyter_client.asynchronous.AsyncKernelClient"
        )
        km.start_kernel(cwd=str(self.cwd), env=dict(os.environ))
        with self._lock:
            self._started.append(km)
        return km

    def _retire(self, km: Any) -> None:
        with self._lock:
            if km in self._started:
                self._started.remove(km)
        _shutdown(km)

    def _take(self) -> Any:
        """An idle kernel, reset for a new notebook, or a newly started one."""
        while True:
            try:
                km = self._idle.get_nowait()
            except queue.Empty:
                return self._start()
            try:
                if km.is_alive():
                    _run_silently(km, _reset_code(self.cwd))
                    return km
            except Exception:  # it died or would not reset: start another
                pass
            self._retire(km)

    @contextmanager
    def kernel(self) -> Iterator[Any]:
        """A kernel manager whose kernel is ready for a new notebook."""
        km = self._take()
        try:
            yield km
        except BaseException:
            _abandon_pending_tasks()
            self._retire(km)  # its state after a failure is unknown
            raise
        self._idle.put(km)


def _abandon_pending_tasks() -> None:
    """Cancel what nbclient left waiting on this thread's event loop when its notebook was
    stopped (Ctrl-C): shutting the kernel down runs that loop again, and the waiting cell would
    end in "Kernel died", printed as an unretrieved task error after the build's one line."""
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    tasks = asyncio.all_tasks(loop)
    if not tasks or loop.is_running():
        return
    for task in tasks:
        task.cancel()
    # nbclient turns the cancellation into "Kernel died": let the tasks end and take that
    # error from them, so nothing is printed about them when the process exits.
    done, _ = loop.run_until_complete(asyncio.wait(tasks, timeout=5))
    for task in done:
        if not task.cancelled():
            task.exception()


def _run_silently(km: Any, code: str) -> None:
    """Execute ``code`` in the kernel without a history entry; raise if it fails."""
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=START_TIMEOUT_S)
        msg_id = kc.execute(code, silent=True, store_history=False)
        reply = kc.get_shell_msg(timeout=RESET_TIMEOUT_S)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=RESET_TIMEOUT_S)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"resetting the kernel failed: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()


def _shutdown(km: Any) -> None:
    with suppress(Exception):  # already gone: nothing to clean up
        km.shutdown_kernel(now=True)


def _register_engine() -> None:
    """papermill's nbclient engine, with the lent kernel manager passed to nbclient and the
    client's channels closed afterwards (nbclient leaves them open when it does not own the
    kernel)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(  # type: ignore[override]
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = PapermillNotebookClient(
                nb_man,
                **merge_kwargs(
                    kwargs,
                    timeout=execution_timeout,
                    startup_timeout=start_timeout,
                    kernel_name=kernel_name,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                ),
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


@cache
def engine_name() -> str:
    """Register the engine once per process and return its name for papermill."""
    _register_engine()
    return ENGINE_NAME
