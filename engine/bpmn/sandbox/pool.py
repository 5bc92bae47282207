"""Worker processes that run diagram code under a time and a memory limit.

Why processes: one C-level operation (``10**10**8``, ``'a'.ljust(10**10)``) cannot be
interrupted from inside the thread running it, and process-wide limits would also hit the web
server's other threads. So code that is not provably bounded (:mod:`engine.bpmn.sandbox.bounds`)
runs in a worker process with an address-space limit and a CPU-time backstop; the engine waits
for it with a timeout and kills and replaces a worker that overruns. Helpers the code calls run
here, in the engine, inside the user's transaction: the worker sends each call back over its
socket, and the time they take does not count against the code.

Workers start on first use; a few are kept idle per set of limits. Each is used by one thread
at a time, and a helper that runs more diagram code (``start_process``) takes another one.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path

from engine.bpmn.sandbox import transport
from engine.config import MEGABYTE, ScriptLimits

_ROOT = Path(__file__).resolve().parent.parent.parent
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); from engine.bpmn.sandbox.worker import serve; "
    "serve(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))"
)
_STARTUP_SECONDS = 30.0


class ScriptStopped(Exception):
    """Diagram code was stopped: it ran past its time or memory limit, or its worker died."""


def _stopped(reason: str, limits: ScriptLimits) -> ScriptStopped:
    memory, result = limits.memory_bytes / MEGABYTE, limits.result_bytes / MEGABYTE
    return ScriptStopped(
        {
            "time": f"took longer than {limits.seconds:g} s, the limit for diagram code: "
            "look for a loop that never ends or a number too large to compute",
            "memory": f"used more than {memory:g} MB, the limit for diagram code: look for "
            "a list or a text that grows too large",
            "size": f"produced more than {result:g} MB of data, more than a complaint can "
            "hold: keep only what later steps need",
        }[reason]
    )


class _Worker:
    def __init__(self, limits: ScriptLimits):
        ours, theirs = socket.socketpair()
        with theirs:
            command = [sys.executable, "-I", "-X", "utf8", "-c", _BOOTSTRAP, str(_ROOT)]
            command += [str(theirs.fileno()), str(limits.seconds), str(limits.memory_bytes)]
            self.process = subprocess.Popen(
                command,
                pass_fds=(theirs.fileno(),),
                env={},  # none of the server's settings (database, mail passwords)
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        self.connection = Connection(ours.detach())
        self.limits = limits
        try:
            ready = self._receive(time.monotonic() + _STARTUP_SECONDS)
        except ScriptStopped:
            ready = None
        if ready != {"ready": True}:
            self.stop()
            raise ScriptStopped("could not start, for want of a worker process: see the logs")

    def run(self, request: dict, helpers: Mapping[str, Callable]) -> tuple[dict, Exception | None]:
        """Run one request; return the worker's reply and the exception a helper raised last."""
        self.connection.send_bytes(transport.dumps(request))
        deadline = time.monotonic() + self.limits.seconds
        helper_error = None
        while True:
            reply = self._receive(deadline)
            if "call" not in reply:
                return reply, helper_error
            began = time.monotonic()
            answer, helper_error = _call(helpers, reply)
            deadline += time.monotonic() - began  # time spent in the engine does not count
            self.connection.send_bytes(answer)

    def _receive(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self.connection.poll(remaining):
            raise _stopped("time", self.limits)
        try:
            data = self.connection.recv_bytes(self.limits.result_bytes)
        except EOFError:
            code = self.process.wait()
            if code == -signal.SIGXCPU:
                raise _stopped("time", self.limits) from None
            raise ScriptStopped(
                f"stopped unexpectedly: its worker process ended with code {code}"
            ) from None
        except OSError:  # longer than result_bytes
            raise _stopped("size", self.limits) from None
        reply = transport.loads(data)
        if reply.get("memory"):
            raise _stopped("memory", self.limits)
        return reply

    def stop(self) -> None:
        self.connection.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _call(helpers: Mapping[str, Callable], request: dict) -> tuple[bytes, Exception | None]:
    try:
        value = helpers[request["call"]](*request["args"], **request["kwargs"])
        return transport.dumps({"returned": value}), None
    except Exception as exc:  # the diagram code may handle it, as it could in-process
        return transport.dumps({"raised": transport.error_of(exc)}), exc


class WorkerPool:
    """The workers of one set of limits."""

    def __init__(self, limits: ScriptLimits):
        self.limits = limits
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def run(self, request: dict, helpers: Mapping[str, Callable]) -> tuple[dict, Exception | None]:
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        worker = worker or _Worker(self.limits)
        try:
            reply = worker.run(request, helpers)
        except BaseException:
            worker.stop()  # overran, died or was interrupted: never reused
            raise
        with self._lock:
            if len(self._idle) < self.limits.idle_workers:
                self._idle.append(worker)
                worker = None
        if worker is not None:
            worker.stop()
        return reply

    def stop(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


_POOLS: dict[ScriptLimits, WorkerPool] = {}
_POOLS_LOCK = threading.Lock()


def pool_for(limits: ScriptLimits) -> WorkerPool:
    with _POOLS_LOCK:
        if limits not in _POOLS:
            _POOLS[limits] = WorkerPool(limits)
        return _POOLS[limits]


def _stop_all() -> None:
    for pool in list(_POOLS.values()):
        pool.stop()


def _forget_all() -> None:
    """In a forked child: the workers belong to the parent, which keeps talking to them."""
    global _POOLS_LOCK
    _POOLS.clear()
    _POOLS_LOCK = threading.Lock()


atexit.register(_stop_all)
os.register_at_fork(after_in_child=_forget_all)
