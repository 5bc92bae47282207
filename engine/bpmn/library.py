"""A deployed version, ready to run: its specs restored once and shared, except those a run
changes."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping

from engine.bpmn.serialization import SERIALIZER


class ProcessLibrary:
    """The restored specs of one process version; restored once, shared by every instance.

    SpiffWorkflow changes a process spec while a workflow runs on it when an event sub-process
    is triggered (the sub-process is connected to the process's start and end, and stays so).
    Specs holding event sub-processes are therefore not shared: each workflow gets its own copy
    (:meth:`specs_for_instance`), so that one complaint's triggers never change another's path.
    """

    def __init__(self, specs: Mapping[str, dict], flows: Mapping[str, Mapping[str, dict]]):
        self._stored = specs
        self.flows = flows
        self._restored: dict[str, tuple] = {}
        self._changing: dict[str, frozenset[str]] = {}  # specs a run may change, by process

    def process_ids(self) -> list[str]:
        return list(self._stored)

    def spec(self, process_id: str):
        """The shared (spec, subprocess specs) of a process, for reading only."""
        if process_id not in self._restored:
            if process_id not in self._stored:
                raise KeyError(process_id)
            entry = self._stored[process_id]
            spec = _restored_copy(entry["spec"])
            subprocess_specs = _restored_copy(entry["subprocess_specs"])
            self._restored[process_id] = (spec, subprocess_specs)
            self._changing[process_id] = frozenset(
                candidate.name
                for candidate in [spec, *subprocess_specs.values()]
                if _changes_while_running(candidate)
            )
        return self._restored[process_id]

    def specs_for_instance(self, process_id: str):
        """The (spec, subprocess specs) one workflow runs on: shared, except those a run changes."""
        spec, subprocess_specs = self.spec(process_id)
        changing = self._changing[process_id]
        if not changing:
            return spec, subprocess_specs
        entry = self._stored[process_id]
        if spec.name in changing:
            spec = _restored_copy(entry["spec"])
        subprocess_specs = {
            name: _restored_copy(entry["subprocess_specs"][name]) if name in changing else sub
            for name, sub in subprocess_specs.items()
        }
        return spec, subprocess_specs


def _restored_copy(stored: dict):
    return SERIALIZER.registry.restore(json.loads(json.dumps(stored)))


def _changes_while_running(spec) -> bool:
    """Whether running a workflow changes this process spec (it holds event sub-processes)."""
    return bool(getattr(spec.start, "trigger_specs", None))


_LIBRARIES: OrderedDict[str, ProcessLibrary] = OrderedDict()


_LIBRARY_CACHE_SIZE = 32


def library_for(content_hash: str, load: Callable[[], tuple[Mapping, Mapping]]) -> ProcessLibrary:
    """The cached library of a version; ``load`` gives (specs, flows) on a cache miss only.

    Versions never change, so their content hash is a safe key.
    """
    library = _LIBRARIES.get(content_hash)
    if library is None:
        library = _LIBRARIES[content_hash] = ProcessLibrary(*load())
        if len(_LIBRARIES) > _LIBRARY_CACHE_SIZE:
            _LIBRARIES.popitem(last=False)
    _LIBRARIES.move_to_end(content_hash)
    return library
