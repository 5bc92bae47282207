"""The studio, for process owners: process files, drafts, checks, deployment and migration."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import clock
from engine.errors import ConcurrentUpdate, DeploymentError, InvalidInput
from engine.problems import Problem
from engine.rules.policy import PolicyError, parse_policy
from engine.services import studio
from webui import database
from webui.arguments import whole_number
from webui.auth import role_required
from webui.errors import error_page
from webui.forms import form_view
from webui.problems import problem_text, refusal_text
from webui.security import relax_policy
from webui.studio_words import (
    ASPECT_LABELS,
    CHANGE_LABELS,
    KIND_LABELS,
    PROPERTY_LABELS,
    SPEC_ATTRIBUTE_LABELS,
    STATE_LABELS,
    TYPE_LABELS,
)

bp = Blueprint("studio", __name__, url_prefix="/studio")
OWNERS = ("process_owner",)
NAVIGATION = [("studio.index", _l("Studio"), OWNERS)]

DOWNLOAD_TYPES = {
    "diagram": "application/xml",
    "decision": "application/xml",
    "form": "application/json",
}
#: The editor page of each kind of file.
EDITORS = {"diagram": "studio/diagram.html", "decision": "studio/decision.html"}


@bp.context_processor
def _labels() -> dict:
    return {
        "KIND_LABELS": KIND_LABELS,
        "CHANGE_LABELS": CHANGE_LABELS,
        "STATE_LABELS": STATE_LABELS,
        "TYPE_LABELS": TYPE_LABELS,
        "ASPECT_LABELS": ASPECT_LABELS,
        "PROPERTY_LABELS": PROPERTY_LABELS,
        "SPEC_ATTRIBUTE_LABELS": SPEC_ATTRIBUTE_LABELS,
        "problem_text": problem_text,
    }


@bp.errorhandler(InvalidInput)
def _refused(error: InvalidInput):
    """A file name or a request the studio cannot act on: say why, on a 400 page."""
    return error_page(400, refusal_text(error))


def _uow(read_only: bool = False):
    return database().unit_of_work(read_only=read_only)


# --- the studio's home: files, drafts, versions ------------------------------------------------


@bp.get("/")
@role_required(*OWNERS)
def index():
    return render_template("studio/index.html", overview=studio.overview(_uow(read_only=True)))


#: The files the studio creates from a template, by the address they are created at: how the
#: name typed becomes a file name, and what to say when it is refused or exists already.
NEW_FILES = {
    "forms": (
        studio.FORMS_PREFIX,
        ".json",
        _l("Nom de formulaire refusé : %(reason)s"),
        _l("Le formulaire %(name)s existe déjà : le voici."),
    ),
    "decisions": (
        "",
        ".dmn",
        _l("Nom de table de décision refusé : %(reason)s"),
        _l("La table de décision %(name)s existe déjà : la voici."),
    ),
}


@bp.post("/forms/new")
@role_required(*OWNERS)
def new_form():
    return _new_file("forms")


@bp.post("/decisions/new")
@role_required(*OWNERS)
def new_decision():
    return _new_file("decisions")


def _new_file(kind: str):
    """Open a new form or decision table from its template (or the file, if it exists)."""
    prefix, suffix, refused, exists = NEW_FILES[kind]
    path = f"{prefix}{request.form.get('name', '').strip().removesuffix(suffix)}{suffix}"
    try:
        file = studio.open_file(path, _uow(read_only=True), new=True)
    except InvalidInput as error:
        flash(str(refused) % {"reason": refusal_text(error)}, "error")
        return redirect(url_for(".index"))
    if not file.is_new or file.is_draft:
        flash(str(exists) % {"name": path}, "info")
        return redirect(url_for(".edit", name=path))
    return redirect(url_for(".edit", name=path, new=1))


# --- editing a file ---------------------------------------------------------------------------


@bp.get("/files/<path:name>")
@role_required(*OWNERS)
def edit(name: str):
    file = studio.open_file(name, _uow(read_only=True), new=request.args.get("new") == "1")
    return _editor(file)


@bp.get("/files/<path:name>/content")
@role_required(*OWNERS)
def content(name: str):
    """The text an editor loads (the draft or the deployed file) and its hash for the save."""
    file = studio.open_file(name, _uow(read_only=True), new=request.args.get("new") == "1")
    return jsonify(
        name=file.name,
        kind=file.kind,
        text=file.text,
        source_hash=file.source_hash,
        is_draft=file.is_draft,
        forms=file.forms,
        deadlines=file.deadlines,
    )


@bp.post("/files/<path:name>")
@role_required(*OWNERS)
def save(name: str):
    """Save a draft: JSON from the diagram editors, a plain form from the text editors."""
    if request.is_json:
        return _save_json(name, request.get_json(silent=True))
    text = request.form.get("text", "")
    source_hash = request.form.get("source_hash") or None
    is_new = request.form.get("new") == "1"
    if request.form.get("action") == "preview":
        return _text_editor(name, text, source_hash, is_new)
    try:
        saved = studio.save_draft(name, text, source_hash, current_user.username, _uow())
    except studio.DraftRejected as error:
        return _text_editor(name, text, source_hash, is_new, error.problems), 422
    except ConcurrentUpdate as error:
        flash(_("Brouillon non enregistré : %(reason)s", reason=refusal_text(error)), "error")
        return _text_editor(name, text, source_hash, is_new), 409
    except InvalidInput as error:
        flash(refusal_text(error), "error")
        return _text_editor(name, text, source_hash, is_new), 400
    flash(_saved_message(saved), "success")
    return redirect(url_for(".edit", name=name))


def _save_json(name: str, data):
    """A save from a diagram editor: ``{"text": …, "source_hash": …}``."""
    source_hash = data.get("source_hash") or None if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(source_hash, str | None):
        message = _(
            "Brouillon non enregistré : la requête doit être un objet JSON "
            '{"text": "…", "source_hash": "…"}.'
        )
        return jsonify(saved=False, message=message, problems=[]), 400
    text = data.get("text")
    try:
        saved = studio.save_draft(name, text, source_hash, current_user.username, _uow())
    except studio.DraftRejected as error:
        problems = [_problem_json(p, name) for p in error.problems]
        return jsonify(
            saved=False, message=_problems_message(len(problems)), problems=problems
        ), 422
    except ConcurrentUpdate as error:
        message = _("Brouillon non enregistré : %(reason)s", reason=refusal_text(error))
        return jsonify(saved=False, message=message, problems=[]), 409
    except InvalidInput as error:
        return jsonify(saved=False, message=refusal_text(error), problems=[]), 400
    return jsonify(
        saved=True, state=saved.state, source_hash=saved.source_hash, message=_saved_message(saved)
    )


def _saved_message(saved: studio.SavedDraft) -> str:
    if saved.state == "unchanged":
        return _("%(name)s est identique au fichier déployé : aucun brouillon.", name=saved.name)
    return _(
        "Brouillon de %(name)s enregistré. Il sera appliqué au prochain déploiement.",
        name=saved.name,
    )


def _problems_message(count: int) -> str:
    return _(
        "Rien n'a été enregistré : %(count)s problème(s) à corriger.",
        count=count,
    )


def _problem_json(problem: Problem, name: str) -> dict:
    return {
        "file": problem.file,
        "line": problem.line,
        "element_id": problem.element_id,
        "message": problem_text(problem),
        "in_this_file": problem.file == name,
    }


@bp.post("/files/<path:name>/discard")
@role_required(*OWNERS)
def discard(name: str):
    studio.discard_draft(name, _uow())
    flash(_("Brouillon de %(name)s abandonné.", name=name), "success")
    return redirect(url_for(".index"))


@bp.post("/files/<path:name>/preview")
@role_required(*OWNERS)
def preview(name: str):
    """The live preview of a form or a policy being edited (an HTML fragment)."""
    kind = studio.file_kind(name)
    if kind not in ("form", "policy"):
        abort(404)
    return render_template("studio/_preview.html", **_preview(name, request.form.get("text", "")))


def _editor(file: studio.EditableFile):
    if file.kind not in EDITORS:
        return _render_text(file, file.text, file.source_hash)
    if file.kind == "decision":  # dmn-js styles its table inline, its text editor with <style>
        relax_policy(style_src_attr="'unsafe-inline'", style_src_elem="'self' 'unsafe-inline'")
    return render_template(EDITORS[file.kind], file=file)


def _text_editor(name: str, text: str, source_hash, is_new: bool, problems=()):
    """The text editor again after a post, with what was sent."""
    file = studio.open_file(name, _uow(read_only=True), new=is_new)
    return _render_text(file, text, source_hash, problems)


def _render_text(file: studio.EditableFile, text: str, source_hash: str | None, problems=()):
    return render_template(
        "studio/text.html",
        file=file,
        text=text,
        source_hash=source_hash if source_hash is not None else file.source_hash,
        problems=list(problems),
        **_preview(file.name, text),
    )


def _preview(name: str, text: str) -> dict:
    if studio.file_kind(name) == "form":
        form, problems = studio.check_form(name, text)
        return {**form_view(form, {}, {}), "kind": "form", "preview_problems": problems}
    if studio.file_kind(name) == "policy":
        deadlines, problems = studio.check_policy(text)
        view = {"kind": "policy", "deadlines": deadlines, "preview_problems": problems}
        return view if problems else {**view, **_policy_calendar(text)}
    return {"kind": "message", "preview_problems": []}


def _policy_calendar(text: str) -> dict:
    """The closing days of the coming year, and which deadlines are legal (they ignore them)."""
    try:
        policy = parse_policy(text.replace("\r\n", "\n"))
    except PolicyError:  # check_policy read it: only a stray carriage return can get here
        return {"closures": [], "legal_deadlines": set()}
    legal = {name for name, rule in policy.rulebook.rules.items() if rule.legal}
    return {"closures": policy.closures_ahead(clock.now()), "legal_deadlines": legal}


# --- deploying the drafts ---------------------------------------------------------------------


@bp.route("/deploy", methods=["GET", "POST"])
@role_required(*OWNERS)
def deploy():
    if request.method == "POST":
        try:
            version = studio.deploy_drafts(
                request.form.get("token", ""), current_user.username, _uow()
            )
        except DeploymentError as error:
            return render_template(
                "studio/deploy.html",
                preview=studio.deployment_preview(_uow(read_only=True)),
                problems=error.problems,
            ), 422
        except (ConcurrentUpdate, InvalidInput) as error:
            flash(refusal_text(error), "error")
            return redirect(url_for(".deploy"))
        flash(
            _(
                "Version %(number)s déployée : les nouvelles réclamations la suivent ; "
                "celles en cours restent sur leur version.",
                number=version.number,
            ),
            "success",
        )
        return redirect(url_for(".version", number=version.number))
    preview = studio.deployment_preview(_uow(read_only=True))
    if not preview.changes:
        flash(_("Aucun brouillon à déployer."), "info")
        return redirect(url_for(".index"))
    return render_template("studio/deploy.html", preview=preview, problems=[])


# --- versions and downloads -------------------------------------------------------------------


@bp.get("/versions/<int:number>")
@role_required(*OWNERS)
def version(number: int):
    overview = studio.overview(_uow(read_only=True))
    summary = next((v for v in overview.versions if v.number == number), None)
    if summary is None:
        abort(404)
    return render_template(
        "studio/version.html",
        version=studio.version_files(number, _uow(read_only=True)),
        summary=summary,
        latest=overview.latest,
    )


@bp.get("/versions/<int:number>/files/<path:name>")
@role_required(*OWNERS)
def download(number: int, name: str):
    files = studio.deployed_files(number, _uow(read_only=True))
    if name not in files:
        abort(404)
    return send_file(
        io.BytesIO(files[name].encode("utf-8")),
        mimetype=DOWNLOAD_TYPES.get(studio.file_kind(name), "text/plain; charset=utf-8"),
        as_attachment=True,
        download_name=name.rsplit("/", 1)[-1],
    )


@bp.get("/versions/<int:number>/archive")
@role_required(*OWNERS)
def archive(number: int):
    filename, data = studio.version_archive(number, _uow(read_only=True))
    return send_file(
        io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=filename
    )


# --- migrating running complaints -------------------------------------------------------------


@bp.route("/migrations", methods=["GET", "POST"])
@role_required(*OWNERS)
def migrate():
    return _migration(revert=False)


@bp.route("/migrations/revert", methods=["GET", "POST"])
@role_required(*OWNERS)
def revert():
    return _migration(revert=True)


def _migration(revert: bool):
    """Forward: running complaints of ``source`` to ``target``. Revert: the complaints that
    were migrated from ``source`` to ``target`` go back to ``source``."""
    args = request.form if request.method == "POST" else request.args
    versions = studio.overview(_uow(read_only=True)).versions
    source, target = args.get("source", type=whole_number), args.get("target", type=whole_number)
    if source is None or target is None:
        if request.method == "POST" or not versions:
            abort(400)
        return render_template("studio/migrate.html", versions=versions, plan=None)
    if source == target:
        flash(_("Choisissez deux versions différentes."), "error")
        return render_template("studio/migrate.html", versions=versions, plan=None, source=source)
    moving_from, moving_to = (target, source) if revert else (source, target)
    try:
        if request.method == "POST":
            report = studio.migrate_complaints(
                moving_from,
                moving_to,
                current_user.username,
                database().unit_of_work,
                revert=revert,
            )
            return render_template("studio/migration_report.html", report=report)
        plan = studio.plan_migration(moving_from, moving_to, _uow(read_only=True), revert=revert)
    except InvalidInput as error:
        flash(refusal_text(error), "error")
        return redirect(url_for(".migrate"))
    return render_template(
        "studio/migrate.html",
        versions=versions,
        plan=plan,
        source=source,
        target=target,
    )
