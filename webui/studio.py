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

from engine import studio
from engine.errors import ConcurrentUpdate, DeploymentError, InvalidInput
from engine.workflow import Problem
from webui import database
from webui.arguments import whole_number
from webui.auth import role_required
from webui.errors import error_page
from webui.security import relax_policy
from webui.tasks import form_view

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
KIND_LABELS = {
    "diagram": _l("Diagramme"),
    "decision": _l("Table de décision"),
    "form": _l("Formulaire"),
    "policy": _l("Politique"),
    "message": _l("Modèle de message"),
}
CHANGE_LABELS = {"added": _l("ajouté"), "removed": _l("supprimé"), "changed": _l("modifié")}
STATE_LABELS = {
    "completed": _l("déjà terminé(e)"),
    "started": _l("en cours"),
    "ready": _l("prête"),
    "waiting": _l("en attente"),
    "error": _l("en erreur"),
}
TYPE_LABELS = {
    "process": _l("Processus"),
    "participant": _l("Participant"),
    "collaboration": _l("Collaboration"),
    "lane": _l("Couloir"),
    "lines": _l("Lignes"),
    "userTask": _l("Tâche humaine"),
    "manualTask": _l("Tâche manuelle"),
    "scriptTask": _l("Script"),
    "serviceTask": _l("Tâche de service"),
    "businessRuleTask": _l("Règle de décision"),
    "sendTask": _l("Envoi"),
    "receiveTask": _l("Réception"),
    "task": _l("Tâche"),
    "callActivity": _l("Appel de processus"),
    "subProcess": _l("Sous-processus"),
    "startEvent": _l("Début"),
    "endEvent": _l("Fin"),
    "boundaryEvent": _l("Événement attaché"),
    "intermediateCatchEvent": _l("Attente"),
    "intermediateThrowEvent": _l("Étape ou envoi"),
    "exclusiveGateway": _l("Choix exclusif"),
    "inclusiveGateway": _l("Choix inclusif"),
    "parallelGateway": _l("Parallèle"),
    "eventBasedGateway": _l("Choix sur événement"),
    "sequenceFlow": _l("Flux"),
    "message": _l("Message"),
    "decision": _l("Décision"),
    "decisionTable": _l("Table"),
    "input": _l("Colonne d'entrée"),
    "output": _l("Colonne de sortie"),
    "rule": _l("Règle"),
    "field": _l("Champ"),
    "form": _l("Formulaire"),
    "table": _l("Section"),
}
ASPECT_LABELS = {
    "name": _l("Nom"),
    "documentation": _l("Documentation"),
    "condition": _l("Condition"),
    "script": _l("Script"),
    "timer": _l("Délai"),
    "event": _l("Événement"),
    "connections": _l("Liaisons"),
    "lane": _l("Couloir"),
    "attribute": _l("Attribut"),
    "content": _l("Contenu"),
    "extension": _l("Extension"),
    "property": _l("Propriété"),
    "cell": _l("Colonne"),
    "description": _l("Description"),
    "position": _l("Position"),
    "expression": _l("Expression"),
    "value": _l("Valeur"),
    "text": _l("Texte"),
}
#: Spiff property names a person knows under another word.
PROPERTY_LABELS = {
    "form": _l("Formulaire"),
    "clock": _l("Délai suivi"),
    "clock_role": _l("Rôle du délai"),
}
#: What SpiffWorkflow calls the parts of an element that changed.
SPEC_ATTRIBUTE_LABELS = {
    "bpmn_name": _l("nom"),
    "documentation": _l("documentation"),
    "lane": _l("couloir"),
    "extensions": _l("propriétés (formulaire, délai, script…)"),
    "event_definition": _l("événement ou délai"),
    "inputs": _l("flux entrants"),
    "outputs": _l("flux sortants"),
    "cond_task_specs": _l("conditions"),
    "default_task_spec": _l("flux par défaut"),
    "typename": _l("type d'élément"),
    "script": _l("script"),
    "decision_table": _l("table de décision"),
    "prescript": _l("pré-script"),
    "postscript": _l("post-script"),
}


#: The engine's problems with process files (engine.problems.MESSAGES), by code, in the
#: reader's language; the same placeholders. A problem without a code keeps its own words.
PROBLEM_TEXTS = {
    "no_such_file": _l("ce fichier n'existe pas"),
    "unreadable": _l("ce fichier ne peut pas être lu : %(reason)s"),
    "unknown_kind": _l("type de fichier inconnu ; attendu : .bpmn, .dmn, .json ou .toml"),
    "no_diagram": _l("aucun diagramme BPMN à déployer"),
    "not_xml": _l("ce n'est pas du XML bien formé : %(detail)s"),
    "not_bpmn_file": _l(
        "ce n'est pas un fichier BPMN : l'élément racine est %(found)s, "
        "il faut <definitions> dans l'espace de noms BPMN 2.0 (%(namespace)s)"
    ),
    "not_dmn_file": _l(
        "ce n'est pas un fichier DMN : l'élément racine est %(found)s, "
        "il faut <definitions> dans l'espace de noms DMN 1.3 (%(namespace)s)"
    ),
    "dmn_version": _l(
        "DMN %(version)s n'est pas pris en charge ; enregistrez le fichier en DMN 1.3"
    ),
    "bpmn_schema": _l("ce n'est pas du BPMN valide : %(detail)s"),
    "duplicate_id": _l(
        "l'identifiant « %(id)s » est déjà celui d'un autre élément du fichier ; "
        "donnez à chacun le sien"
    ),
    "dmn_schema": _l("ce n'est pas du DMN valide : %(detail)s"),
    "not_executable": _l(
        "aucun processus de ce fichier n'est exécutable ; cochez « exécutable » "
        '(isExecutable="true") sur celui à lancer'
    ),
    "no_start_event": _l("le processus n'a pas d'événement de début ; ajoutez-en un"),
    "flow_source_missing": _l("le flux part de « %(ref)s », qui n'existe pas"),
    "flow_target_missing": _l("le flux mène à « %(ref)s », qui n'existe pas"),
    "complex_gateway": _l(
        "« %(tag)s » n'est pas pris en charge par le moteur ; utilisez une passerelle "
        "exclusive, inclusive ou parallèle"
    ),
    "ad_hoc_subprocess": _l(
        "« %(tag)s » n'est pas pris en charge par le moteur ; utilisez un sous-processus "
        "dont les passerelles disent quelles tâches faire"
    ),
    "kind_unsupported": _l(
        "<%(tag)s> n'est pas pris en charge par le moteur ; remplacez-le par un élément "
        "qu'il exécute"
    ),
    "boundary_without_event": _l(
        "l'événement attaché n'attend rien ; donnez-lui un délai, un message ou une erreur, "
        "ou supprimez-le"
    ),
    "flow_without_condition": _l(
        "ce flux quitte une passerelle sans condition et n'est pas son flux par défaut ; "
        "donnez-lui une condition ou faites-en le flux par défaut"
    ),
    "several_outgoing_flows": _l(
        "une tâche a plusieurs flux sortants ; placez après elle une passerelle exclusive "
        "ou parallèle qui dit quel chemin prendre"
    ),
    "timer_without_expression": _l(
        "le délai n'a pas d'expression valide (donnez une date, une durée ou un cycle)"
    ),
    "service_without_operator": _l(
        "la tâche de service ne dit pas quelle opération appeler ; choisissez-en une dans "
        "ses propriétés (spiffworkflow:serviceTaskOperator)"
    ),
    "duplicate_process": _l(
        "l'identifiant de processus « %(process)s » est défini deux fois ; "
        "donnez à chaque processus le sien"
    ),
    "call_without_process": _l(
        "l'appel de processus ne dit pas quel processus appeler ; indiquez-le (calledElement)"
    ),
    "call_missing_process": _l(
        "appelle le processus « %(process)s », qu'aucun fichier ne définit ; vérifiez le "
        "nom ou vérifiez-le avec le fichier qui le définit"
    ),
    "data_store": _l(
        "le magasin de données « %(name)s » ne peut pas servir : le moteur n'en a pas ; "
        "gardez la donnée dans la réclamation (formulaire ou script) et retirez le magasin"
    ),
    "data_reference": _l(
        "l'association de données renvoie à « %(ref)s », qui n'est pas un objet de données "
        "de ce processus ; reliez-la à un objet de données ou retirez-la"
    ),
    "decision_not_named": _l(
        "la règle de décision ne dit pas quelle décision appeler ; indiquez-la "
        "(spiffworkflow:calledDecisionId)"
    ),
    "decision_foreign_attribute": _l(
        "la décision est indiquée dans %(attribute)s, que ce moteur ne lit pas ; "
        "indiquez-la dans spiffworkflow:calledDecisionId (le panneau de propriétés du "
        "studio le fait)"
    ),
    "decision_missing": _l(
        "appelle la décision « %(decision)s », qu'aucun fichier .dmn ne définit ; vérifiez "
        "l'identifiant de la décision ou vérifiez le diagramme avec son fichier .dmn"
    ),
    "form_missing": _l("utilise le formulaire « %(form)s », qui n'est pas parmi les formulaires"),
    "engine_refused": _l("le moteur refuse cet élément : %(detail)s"),
    "timer_bare_iso": _l(
        "le délai « %(code)s » est une valeur ISO nue, mais les délais sont du Python : "
        'écrivez "%(code)s" (avec les guillemets) ou appelez deadline(...)'
    ),
    "code_invalid": _l("%(kind)s « %(code)s » n'est pas valide : %(reason)s"),
    "timer_invalid": _l(
        "le délai « %(code)s » n'est pas valide : %(reason)s (les délais sont du Python : "
        'mettez les valeurs ISO entre guillemets, par exemple "P10D")'
    ),
    "code_import": _l(
        "%(kind)s « %(code)s » importe un module, ce que le code d'un diagramme ne peut pas "
        "faire ; utilisez les fonctions que le moteur fournit (now(), in_days(), deadline(), …)"
    ),
    "code_name": _l(
        "%(kind)s « %(code)s » utilise « %(name)s », que le bac à sable ne donne pas au code "
        "des diagrammes ; retirez-le ou utilisez une fonction fournie"
    ),
    "code_format": _l(
        "%(kind)s « %(code)s » appelle .%(name)s(), interdit dans le code des diagrammes ; "
        "construisez les textes avec des f-strings ou +"
    ),
    "code_class": _l(
        "%(kind)s « %(code)s » définit une classe, ce que le code d'un diagramme ne peut pas faire"
    ),
    "code_construct": _l(
        "%(kind)s « %(code)s » utilise %(construct)s, interdit dans le code des diagrammes"
    ),
    "dmn_no_decision": _l("le fichier n'a aucune décision ; ajoutez une table de décision"),
    "dmn_several_decisions": _l(
        "le fichier contient %(count)s décisions (%(decisions)s) ; le moteur exécute une "
        "décision par fichier : mettez chacune dans son propre fichier .dmn"
    ),
    "dmn_unsupported": _l(
        "<%(tag)s> n'est pas pris en charge par le moteur, qui n'exécute que des tables de "
        "décision ; retirez-le"
    ),
    "dmn_no_table": _l(
        "la décision « %(decision)s » n'a pas de table de décision ; ajoutez-en une"
    ),
    "dmn_not_a_table": _l(
        "la logique de la décision est un <%(tag)s>, mais le moteur n'exécute que des tables "
        "de décision"
    ),
    "dmn_required_decision": _l(
        "la décision dépend de la décision « %(ref)s », mais le moteur n'enchaîne pas les "
        "décisions ; appelez chacune depuis sa propre règle de décision"
    ),
    "dmn_hit_policy": _l(
        "la politique de résultat %(policy)s n'est pas prise en charge ; utilisez UNIQUE, "
        "FIRST, ANY ou COLLECT"
    ),
    "dmn_aggregation": _l(
        "COLLECT avec l'agrégation %(aggregation)s n'est pas pris en charge ; "
        "utilisez COLLECT sans agrégation"
    ),
    "dmn_missing_id": _l("cet élément <%(tag)s> n'a pas d'identifiant ; donnez-lui en un"),
    "dmn_input_without_expression": _l(
        "la colonne d'entrée « %(label)s » n'a pas d'expression ; indiquez la donnée qu'elle lit"
    ),
    "dmn_output_without_name": _l(
        "la colonne de sortie n'a pas de nom ; indiquez la donnée où ranger le résultat"
    ),
    "dmn_input_entries": _l(
        "la règle a %(count)s cellule(s) d'entrée, mais la table a %(expected)s colonne(s) d'entrée"
    ),
    "dmn_output_entries": _l(
        "la règle a %(count)s cellule(s) de sortie, mais la table a %(expected)s colonne(s) "
        "de sortie"
    ),
    "dmn_cell_invalid": _l(
        "la cellule « %(code)s » n'est pas valide : %(reason)s (les cellules sont du "
        'Python : "high", > 100, ? in ["a", "b"], -)'
    ),
    "dmn_cell_feel": _l(
        "la cellule « %(code)s » écrit %(name)s comme en FEEL, mais les cellules sont du "
        "Python : écrivez %(python)s"
    ),
    "dmn_cell_glued": _l(
        "la cellule « %(code)s » commence par un mot, que le moteur colle à l'expression de "
        "la colonne (« %(glued)s ») ; écrivez la valeur de la colonne avec ?, comme "
        "« ? %(code)s »"
    ),
    "dmn_cell_name": _l(
        "la cellule « %(code)s » utilise « %(name)s », qui n'est aucune des entrées de la "
        'table (%(inputs)s) ; mettez les textes entre guillemets, comme "%(name)s"'
    ),
    "dmn_duplicate_decision": _l(
        "l'identifiant de décision « %(decision)s » est aussi défini dans %(other)s ; "
        "donnez à chaque décision le sien"
    ),
}
#: What a piece of diagram code is (the ``kind`` of engine.diagram_code), as a sentence starts.
CODE_KINDS = {
    "condition": _l("la condition"),
    "script": _l("le script"),
    "pre-script": _l("le pré-script"),
    "post-script": _l("le post-script"),
    "timer": _l("le délai"),
    "multi-instance expression": _l("l'expression d'instances multiples"),
    "loop condition": _l("la condition de boucle"),
    "service parameter": _l("le paramètre de service"),
    "event expression": _l("l'expression de l'événement"),
    "correlation expression": _l("l'expression de corrélation"),
    "decision input": _l("l'expression d'entrée"),
    "cell": _l("la cellule"),
}


def problem_text(problem: Problem) -> str:
    """A problem with a process file, in the reader's language when its code is known."""
    template = PROBLEM_TEXTS.get(problem.code or "")
    if template is None:
        return problem.message
    params = dict(problem.params)
    if "kind" in params:
        params["kind"] = str(CODE_KINDS.get(params["kind"], params["kind"]))
    return str(template) % params


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
    return error_page(400, str(error))


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
        flash(str(refused) % {"reason": str(error)}, "error")
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
        flash(_("Brouillon non enregistré : %(reason)s", reason=str(error)), "error")
        return _text_editor(name, text, source_hash, is_new), 409
    except InvalidInput as error:
        flash(str(error), "error")
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
        message = _("Brouillon non enregistré : %(reason)s", reason=str(error))
        return jsonify(saved=False, message=message, problems=[]), 409
    except InvalidInput as error:
        return jsonify(saved=False, message=str(error), problems=[]), 400
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
        return {"kind": "policy", "deadlines": deadlines, "preview_problems": problems}
    return {"kind": "message", "preview_problems": []}


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
            flash(str(error), "error")
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
        flash(str(error), "error")
        return redirect(url_for(".migrate"))
    return render_template(
        "studio/migrate.html",
        versions=versions,
        plan=plan,
        source=source,
        target=target,
    )
