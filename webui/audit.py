"""The trace, for auditors: the exact path of a complaint, its timeline, chain check, exports.

Auditors only read; the one thing they record is an export (the trail notes who took it),
so exports are POST forms that answer with the file.
"""

from __future__ import annotations

import json
import math
from datetime import date

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import clock, services
from engine.errors import InvalidInput
from engine.services import audit as trace
from webui import database
from webui.arguments import page_size, whole_number
from webui.auth import role_required
from webui.errors import error_page
from webui.formatting import Vocabulary, when
from webui.words import CLOCK_STATES, EVENT_LABELS, ROBOTS, TIMER_STATES

bp = Blueprint("trace", __name__, url_prefix="/audit")
READERS = ("auditor", "quality", "supervisor")
NAVIGATION = [("trace.search", _l("Audit"), READERS)]

WAITING_KINDS = {
    "task": _l("Tâche en attente"),
    "timer": _l("Délai armé"),
    "event": _l("Événement attendu"),
    "subprocess": _l("Sous-processus en cours"),
    "element": _l("En cours"),
}
CHAIN_PROBLEMS = {
    "missing": _l("l'événement n° %(seq)d manque (il a été supprimé)."),
    "unlinked": _l(
        "l'événement n° %(seq)d ne se rattache pas au précédent "
        "(un événement a été supprimé, inséré ou réécrit)."
    ),
    "altered": _l("le contenu de l'événement n° %(seq)d a été modifié après son enregistrement."),
    "truncated": _l(
        "la piste s'arrête avant l'événement n° %(seq)d alors que le dossier en a enregistré "
        "davantage (les derniers événements ont été supprimés)."
    ),
}
ELEMENT_TYPES = {
    "userTask": _l("Tâche"),
    "manualTask": _l("Tâche"),
    "scriptTask": _l("Script"),
    "serviceTask": _l("Service"),
    "businessRuleTask": _l("Table de décision"),
    "callActivity": _l("Sous-processus"),
    "subProcess": _l("Sous-processus"),
    "exclusiveGateway": _l("Passerelle"),
    "inclusiveGateway": _l("Passerelle"),
    "parallelGateway": _l("Passerelle"),
    "eventBasedGateway": _l("Passerelle d'événements"),
    "startEvent": _l("Début"),
    "endEvent": _l("Fin"),
    "intermediateThrowEvent": _l("Événement émis"),
    "intermediateCatchEvent": _l("Événement attendu"),
    "boundaryEvent": _l("Événement de bordure"),
}
RANGE_PROBLEMS = {
    "range_missing": _l("indiquez le premier et le dernier jour de la période."),
    "range_reversed": _l("la date de fin doit suivre la date de début."),
    "range_too_long": _l(
        "la période dépasse %(days)d jours : exportez-la en plusieurs fois.",
        days=trace.MAX_RANGE_DAYS,
    ),
}


def _uow(read_only: bool = True):
    return database().unit_of_work(read_only=read_only)


# --- search --------------------------------------------------------------------------------------


@bp.get("/")
@role_required(*READERS)
def search():
    args = request.args
    errors: dict[str, str] = {}
    criteria = trace.TraceSearch(
        text=args.get("q", "").strip() or None,
        received_from=_date_arg(args.get("from"), "from", errors),
        received_to=_date_arg(args.get("to"), "to", errors),
        stage=args.get("stage") or None,
        category=args.get("category", "").strip() or None,
        priority=args.get("priority") or None,
        breached=args.get("breached") == "1",
        process_id=args.get("process", services.COMPLAINT_PROCESS) or None,
    )
    page = max(args.get("page", 1, type=whole_number), 1)
    hits, total = [], 0
    if not errors:
        try:
            hits, total = _search_page(criteria, page)
            if total and page > math.ceil(total / page_size()):  # past the end: the last one
                page = math.ceil(total / page_size())
                hits, total = _search_page(criteria, page)
        except InvalidInput as exc:
            errors["to"] = str(RANGE_PROBLEMS.get(exc.code, exc))
    # what the page links keep; an empty "process" means all kinds, unlike no "process" at all
    filters = {k: v for k, v in args.items() if k != "page" and (v or k == "process")}
    return render_template(
        "trace/search.html",
        criteria=criteria,
        hits=hits,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / page_size())),
        filters=filters,
        errors=errors,
        options=trace.search_options(_uow()),
    )


def _search_page(criteria: trace.TraceSearch, page: int):
    size = page_size()
    return trace.search_instances(criteria, _uow(), limit=size, offset=(page - 1) * size)


def _date_arg(text: str | None, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("date non valide (AAAA-MM-JJ).")
        return None


# --- one complaint ----------------------------------------------------------------------------


@bp.get("/<reference>")
@role_required(*READERS)
def show(reference: str):
    return _render_trace("trace/show.html", reference)


def _render_trace(template: str, reference: str, **context):
    complaint = trace.trace_of(reference, _uow())
    vocabulary = Vocabulary(services.form_definitions(_uow(), reference))
    return render_template(
        template,
        trace=complaint,
        summary=vocabulary.facts(complaint.summary, services.SUMMARY_KEYS),
        opened_by=str(ROBOTS.get(complaint.created_by, complaint.created_by)),
        clocks=trace.deadlines(services.instance_clocks(reference, _uow())),
        chain_sentence=_chain_sentence,
        event_kind=lambda kind: EVENT_LABELS.get(kind, kind),
        event_details=_event_details,
        element_type=lambda kind: ELEMENT_TYPES.get(kind, kind),
        waiting_label=lambda kind: WAITING_KINDS.get(kind, kind),
        clock_state=lambda state: CLOCK_STATES.get(state, state),
        timer_state=lambda state: TIMER_STATES.get(state, state),
        **context,
    )


def _chain_sentence(check: trace.ChainCheck) -> str:
    problem = CHAIN_PROBLEMS.get(check.problem or "", CHAIN_PROBLEMS["altered"])
    return str(problem) % {"seq": check.broken_at}


#: Data shown elsewhere on the row (changes, the message) or only noise for a reader.
_HIDDEN_DETAILS = {
    "changes",
    "submitted",
    "flows",
    "data",
    "type",
    "message",
    "interrupting",
    "task_id",
}


def _event_details(entry: trace.TimelineEntry) -> list[tuple[str, str]]:
    """(label, text) pairs for what an event records besides the data it changed."""
    details = [
        ("→", f"{flow.get('name') or flow.get('target')} ({flow.get('flow') or '—'})")
        for flow in entry.data.get("flows", [])
    ]
    if entry.kind == "instance_started":
        details.append((_("version"), str(entry.data.get("version"))))
    if entry.kind in ("message_received", "error") or (
        entry.kind == "message_sent" and entry.message is None
    ):
        details.append((_("message"), str(entry.data.get("message") or "")))
    for key, value in entry.data.items():
        if key not in _HIDDEN_DETAILS and key != "version" and value not in (None, ""):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            details.append((key, text))
    return details


@bp.get("/<reference>/path.json")
@role_required(*READERS)
def path_json(reference: str):
    """The path for the diagram viewer (webui/static/js/trace.js)."""
    path = trace.path_of(reference, _uow())
    keys = {(p.reference, p.process_id): p.key for p in path.processes}
    return jsonify(
        reference=path.reference,
        processes=[_process_json(p, keys, main=p.reference == reference) for p in path.processes],
        labels={
            "events_of": _("Événements de « %(name)s »", name="{name}"),
            "no_event": _("Aucun événement enregistré pour cet élément."),
            "passed": _("passé %(count)s fois", count="{count}"),
            "open_called": _("Voir le sous-processus"),
            "loaded": _("Diagramme chargé."),
            "failed": _("Le diagramme n'a pas pu être affiché."),
        },
    )


def _process_json(path: trace.ProcessPath, keys: dict, main: bool) -> dict:
    anchor = url_for("trace.show", reference=path.reference)
    label = path.name or path.process_id
    return {
        "key": path.key,
        "reference": path.reference,
        "process_id": path.process_id,
        "label": label if main else f"{label} — {path.reference}",
        "diagram": url_for("trace.diagram", reference=path.reference, process_id=path.process_id),
        "completed": path.completed,
        "flows": path.flows,
        "fired_timers": path.fired_timers,
        "waiting": [
            {
                "element_id": w.element_id,
                "kind": w.kind,
                "label": str(WAITING_KINDS.get(w.kind, w.kind)),
                "due": when(w.due_at) if w.due_at else None,
            }
            for w in path.waiting
        ],
        "errors": [
            {"seq": e.seq, "element_id": e.element_id, "message": e.message} for e in path.errors
        ],
        "names": path.names,
        "calls": {
            element_id: keys[(path.reference, process_id)]
            for element_id, process_id in path.calls.items()
            if (path.reference, process_id) in keys
        },
        "events": {
            element_id: [
                {
                    "seq": e.seq,
                    "when": when(e.at),
                    "actor": e.actor,
                    "label": str(EVENT_LABELS.get(e.kind, e.kind)),
                    "href": f"{anchor}#event-{e.seq}",
                }
                for e in events
            ]
            for element_id, events in path.events.items()
            if events
        },
    }


@bp.get("/<reference>/diagram/<process_id>.bpmn")
@role_required(*READERS)
def diagram(reference: str, process_id: str):
    """The BPMN file of ``process_id`` in the version the instance runs on."""
    file_name, xml = trace.diagram_of(reference, process_id, _uow())
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'inline; filename="{file_name}"'
    return response


# --- exports (each one is recorded in the trail) ---------------------------------------------


@bp.post("/<reference>/export")
@role_required(*READERS)
def export(reference: str):
    fmt = request.form.get("format", "")
    if fmt == "html":
        seq = trace.record_report(reference, current_user.username, _uow(read_only=False))
        return _render_trace("trace/report.html", reference, export_seq=seq, now=clock.now())
    if fmt not in trace.TRAIL_FORMATS:
        return error_page(400, _("Choisissez l'export JSON, CSV ou le rapport imprimable."))
    exported = trace.export_trail(reference, fmt, current_user.username, _uow(read_only=False))
    return _download(exported)


@bp.post("/export")
@role_required(*READERS)
def export_range():
    """The regulator's CSV for a period; a mistake in the dates comes back to the search page."""
    errors: dict[str, str] = {}
    start = _date_arg(request.form.get("from"), "from", errors)
    end = _date_arg(request.form.get("to"), "to", errors)
    if not errors:
        try:
            exported = trace.export_range(start, end, current_user.username, _uow(read_only=False))
            return _download(exported)
        except InvalidInput as exc:
            errors["to"] = str(RANGE_PROBLEMS.get(exc.code, exc))
    for message in dict.fromkeys(errors.values()):
        flash(_("Export non fait : %(reason)s", reason=message), "error")
    values = {f"export_{k}": request.form.get(k) for k in ("from", "to") if request.form.get(k)}
    return redirect(url_for("trace.search", **values), code=303)


def _download(exported: trace.TrailExport) -> Response:
    response = Response(exported.content, content_type=exported.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
