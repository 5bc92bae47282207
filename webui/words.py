"""The words for what the engine stores as codes: fields of a complaint, roles, statuses,
clocks and timers, priorities, values no form offers, and the kinds of events of a trail.

One table per thing, used by every page that shows it (the complaint file, the trace, the
inbox…), worded in French and translated by the catalogue like every text of the interface.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webui.i18n import LANGUAGES

SUMMARY_LABELS = {
    "customer_name": _l("Client"),
    "customer_email": _l("Courriel"),
    "category": _l("Catégorie"),
    "product": _l("Produit"),
    "priority": _l("Priorité"),
    "kind": _l("Nature"),
    "channel": _l("Canal"),
    "subject": _l("Objet"),
    "team": _l("Équipe"),
    "remedy": _l("Réponse décidée"),
    "closure_reason": _l("Motif de clôture"),
    "language": _l("Langue du client"),
}


ROLE_LABELS = {
    "agent": _l("Agent"),
    "supervisor": _l("Superviseur"),
    "quality": _l("Qualité"),
    "process_owner": _l("Propriétaire de processus"),
    "auditor": _l("Auditeur"),
    "admin": _l("Administrateur"),
}


STATUS_LABELS = {"running": _l("En cours"), "completed": _l("Terminé"), "error": _l("En erreur")}


TIMER_STATES = {
    "pending": _l("En attente"),
    "firing": _l("En cours de déclenchement"),
    "fired": _l("Échu"),
    "cancelled": _l("Annulé"),
}


CLOCK_STATES = {
    "running": _l("En cours"),
    "due_soon": _l("Échéance proche"),
    "breached": _l("Dépassé"),
    "met": _l("Respecté"),
}


CLOCK_NAMES = {
    "acknowledgement": _l("Accusé de réception"),
    "answer": _l("Réponse au client"),
    "internal_sla": _l("Délai interne de décision"),
    "checkin_reminder": _l("Relance du questionnaire"),
    "checkin_silence": _l("Fin d'attente de l'avis du client"),
    "effectiveness_check": _l("Contrôle d'efficacité"),
    "progress_update": _l("Point d'avancement"),
}


PRIORITY_WORDS = {
    "critical": _l("critique"),
    "high": _l("haute"),
    "normal": _l("normale"),
    "low": _l("basse"),
}


#: Values that no form offers as a choice, by field.
OTHER_VALUES = {
    "channel": {"web": _l("Formulaire web")},
    "language": LANGUAGES,
    "team": {  # the teams routing.dmn sends complaints to
        "billing": _l("Facturation"),
        "logistics": _l("Logistique"),
        "quality": _l("Qualité produit"),
        "contracts": _l("Contrats"),
        "data_protection": _l("Protection des données"),
        "customer_service": _l("Service client"),
    },
    "trigger": {  # why a corrective action was opened (evaluation.bpmn)
        "critical": _l("réclamation critique"),
        "recurrence": _l("réclamations récurrentes"),
    },
    "closure_reason": {
        "satisfied": _l("client satisfait"),
        "unsatisfied": _l("client non satisfait"),
        "no_reply": _l("sans réponse du client"),
        "final_position": _l("position définitive"),
        "dissatisfaction_recorded": _l("insatisfaction enregistrée"),
    },
}


#: Process data holding values of a form field under another name.
SAME_VALUES_AS = {"declared_kind": "kind"}


#: How the actors that are not people read (engine.trail.events.NOT_PEOPLE).
ROBOTS = {"system": _l("le système"), "scheduler": _l("le système"), "portal": _l("le client")}


#: The name of each kind of event (engine.trail.events.EVENT_KINDS), as lists show it.
EVENT_LABELS = {
    "instance_started": _l("Dossier ouvert"),
    "instance_completed": _l("Dossier terminé"),
    "process_entered": _l("Processus commencé"),
    "process_ended": _l("Processus terminé"),
    "task_ready": _l("Tâche en attente"),
    "task_claimed": _l("Tâche prise"),
    "task_released": _l("Tâche remise dans la file"),
    "task_reassigned": _l("Tâche réattribuée"),
    "task_completed": _l("Tâche terminée"),
    "element_completed": _l("Étape effectuée"),
    "element_cancelled": _l("Élément annulé"),
    "gateway_passed": _l("Décision prise"),
    "milestone_reached": _l("Étape atteinte"),
    "message_sent": _l("Message envoyé"),
    "message_received": _l("Message reçu"),
    "timer_fired": _l("Délai échu"),
    "subprocess_completed": _l("Sous-processus terminé"),
    "escalated": _l("Escalade"),
    "linked": _l("Dossier lié"),
    "decision_recorded": _l("Décision consignée"),
    "corrective_action_closed": _l("Action corrective close"),
    "trail_exported": _l("Piste exportée"),
    "error": _l("Erreur"),
    "instance_migrated": _l("Passage à une autre version"),
    "message_retried": _l("Message renvoyé"),
    "process_deployed": _l("Version déployée"),
    "user_created": _l("Compte créé"),
    "user_roles_changed": _l("Rôles modifiés"),
    "user_deactivated": _l("Compte désactivé"),
    "user_reactivated": _l("Compte réactivé"),
    "password_reset": _l("Mot de passe réinitialisé"),
}


#: The sentence of a message sent, by message name (others are told by their element).
SENT = {
    "acknowledgement": _l("Accusé de réception envoyé le %(when)s"),
    "answer": _l("Réponse envoyée le %(when)s"),
    "final_answer": _l("Position définitive envoyée le %(when)s"),
    "checkin_questions": _l("Questionnaire de satisfaction envoyé le %(when)s"),
    "checkin_reminder": _l("Relance du questionnaire envoyée le %(when)s"),
    "thanks": _l("Remerciements envoyés au client le %(when)s"),
}
