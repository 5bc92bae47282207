"""The studio's words: kinds of files and their states, the elements of diagrams and decision
tables, and what a change touched (names, timers, cells, properties…)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
