"""A worker process: runs diagram code under an address-space and a CPU-time limit.

Started by :mod:`engine.bpmn.sandbox.pool` with one end of a socket pair. Messages are the JSON of
:mod:`engine.bpmn.sandbox.transport`:

- from the engine: ``{"run": "eval"|"exec", "source", "inputs", "external", "helpers",
  "types"}``, then ``{"returned": value}`` or ``{"raised": error}`` answering each helper call;
- to the engine: ``{"ready": true}`` once, ``{"call": name, "args", "kwargs"}`` for each call
  of a helper (the helpers run in the engine, in its transaction), then one of
  ``{"done": value}`` (eval), ``{"done": {"set": {...}, "deleted": [...]}}`` (exec),
  ``{"failed": error}``, ``{"unstorable": {"name", "type"}}``, ``{"memory": true}``.
"""

from __future__ import annotations

import math
import resource
import sys
from multiprocessing.connection import Connection

from engine.bpmn.sandbox import transport
from engine.bpmn.sandbox.restricted import (
    RESTRICTED_GLOBALS,
    compile_restricted,
    remove_provided_names,
)


class _Session:
    def __init__(self, connection: Connection):
        self.connection = connection

    def send(self, message) -> None:
        self.connection.send_bytes(transport.dumps(message))

    def receive(self):
        return transport.loads(self.connection.recv_bytes())

    def proxy(self, name: str):
        def call(*args, **kwargs):
            try:
                request = transport.dumps({"call": name, "args": list(args), "kwargs": kwargs})
            except transport.Unstorable as exc:
                raise TypeError(f"{name}() cannot be given {exc}") from None
            self.connection.send_bytes(request)
            reply = self.receive()
            if "returned" in reply:
                return reply["returned"]
            raise transport.exception_from(reply["raised"], from_helper=True)

        return call

    def run(self, request: dict) -> dict:
        helpers = {name: self.proxy(name) for name in request["helpers"]}
        helpers.update({n: transport.TYPES[kind] for n, kind in request["types"].items()})
        code = compile_restricted(request["source"], request["run"])
        inputs, external = request["inputs"], request["external"]
        if request["run"] == "eval":
            value = eval(code, {**RESTRICTED_GLOBALS, **helpers, **external, **inputs})
            return {"done": value}
        scope = {**inputs, **RESTRICTED_GLOBALS, **helpers, **external}
        exec(code, scope)
        remove_provided_names(scope, {**helpers, **external})
        for name, value in scope.items():
            problem = transport.unstorable_part(value)
            if problem is not None:
                return {"unstorable": {"name": name, "type": problem.type_name}}
        return {"done": {"set": scope, "deleted": [n for n in inputs if n not in scope]}}


def _limit_memory(limit: int) -> None:
    """Allow ``limit`` bytes of address space beyond what the interpreter holds now."""
    with open("/proc/self/statm") as statm:
        held = int(statm.read().split()[0]) * resource.getpagesize()
    _lower_soft_limit(resource.RLIMIT_AS, held + limit)


def _limit_cpu(seconds: float) -> None:
    """The kernel stops this process (SIGXCPU) if one run uses more CPU than allowed, even if
    the engine waiting for it is gone."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    _lower_soft_limit(resource.RLIMIT_CPU, math.ceil(used.ru_utime + used.ru_stime + seconds) + 1)


def _lower_soft_limit(kind: int, wanted: int) -> None:
    _, hard = resource.getrlimit(kind)
    soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(kind, (soft, hard))


def serve(fd: int, seconds: float, memory_bytes: int) -> None:
    session = _Session(Connection(fd))
    _limit_memory(memory_bytes)
    session.send({"ready": True})
    while True:
        try:
            request = session.receive()
        except EOFError:
            return
        _limit_cpu(seconds)
        try:
            reply = session.run(request)
            data = transport.dumps(reply)
        except MemoryError:
            data = transport.dumps({"memory": True})
        except transport.Unstorable as exc:
            data = transport.dumps({"unstorable": {"name": None, "type": exc.type_name}})
        except Exception as exc:
            data = transport.dumps({"failed": transport.error_of(exc)})
        session.connection.send_bytes(data)


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
