"""The auditor's use cases: find complaints, read one's trace, verify chains, export the trail.

The names screens and tests use are re-exported here, those of the trail's model
(:mod:`engine.trail`) with them: ``from engine.services import audit``, then
``audit.trace_of(...)``, ``audit.TimelineEntry``.
"""

from engine.bpmn.diagrams import ProcessDiagram, diagrams_of
from engine.services.audit.complaint_trace import (
    ComplaintTrace,
    LinkView,
    TimerRow,
    check_chain,
    diagram_of,
    path_of,
    trace_of,
    verify_audit,
)
from engine.services.audit.exports import (
    EXPORTED,
    MAX_RANGE_DAYS,
    REPORT_FORMAT,
    TRAIL_FORMATS,
    TrailExport,
    deadlines,
    export_range,
    export_trail,
    record_report,
)
from engine.services.audit.search import (
    SearchHit,
    SearchOptions,
    TraceSearch,
    search_instances,
    search_options,
)
from engine.trail.audit import ChainCheck
from engine.trail.exports import REGULATOR_COLUMNS, TRAIL_COLUMNS
from engine.trail.path import PathError, PathEvent, ProcessPath, TracePath, Waiting
from engine.trail.timeline import Change, TimelineEntry

__all__ = [
    "EXPORTED",
    "MAX_RANGE_DAYS",
    "REGULATOR_COLUMNS",
    "REPORT_FORMAT",
    "TRAIL_COLUMNS",
    "TRAIL_FORMATS",
    "ChainCheck",
    "Change",
    "ComplaintTrace",
    "LinkView",
    "PathError",
    "PathEvent",
    "ProcessDiagram",
    "ProcessPath",
    "SearchHit",
    "SearchOptions",
    "TimelineEntry",
    "TimerRow",
    "TracePath",
    "TraceSearch",
    "TrailExport",
    "Waiting",
    "check_chain",
    "deadlines",
    "diagram_of",
    "diagrams_of",
    "export_range",
    "export_trail",
    "path_of",
    "record_report",
    "search_instances",
    "search_options",
    "trace_of",
    "verify_audit",
]
