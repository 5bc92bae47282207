"""The portal's words: the complaint form as customers read it, the stages of a complaint as
they live them, what each message is about, the dates and deadlines promised."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine.services import portal as customer_portal

#: Labels and help of the complaint form, by field key.
COMPLAINT_FIELDS = {
    "customer_name": (_l("Vos prénom et nom"), None),
    "customer_email": (
        _l("Votre adresse e-mail"),
        _l("Nous vous y écrivons : accusé de réception, avancement, réponse."),
    ),
    "customer_phone": (_l("Votre téléphone"), _l("Facultatif, si vous préférez être rappelé.")),
    "customer_number": (
        _l("Votre numéro de client"),
        _l("Facultatif ; il figure sur vos factures et vos contrats."),
    ),
    "subject": (
        _l("Objet de votre réclamation"),
        _l("En quelques mots, par exemple « Abonnement facturé deux fois »."),
    ),
    "description": (
        _l("Que s'est-il passé ?"),
        _l("Les faits, les dates, les personnes concernées, ce qui ne vous convient pas."),
    ),
    "occurred_on": (_l("Date des faits"), _l("Facultatif.")),
    "product": (
        _l("Produit, service ou contrat concerné"),
        _l("Par exemple « Box Internet » ou un numéro de contrat."),
    ),
    "category": (_l("Votre réclamation concerne"), None),
    "remedy_wanted": (_l("Ce que vous souhaitez obtenir"), None),
    "remedy_details": (
        _l("Précisions sur votre demande"),
        _l("Facultatif : un montant, un délai, une préférence."),
    ),
    "asks_for_treatment": (
        _l("Souhaitez-vous que nous traitions votre demande ?"),
        _l(
            "Oui : nous l'examinons et vous répondons. Non : nous enregistrons votre "
            "mécontentement pour nous améliorer, sans réponse sur le fond."
        ),
    ),
    "documents": (
        _l("Vos justificatifs (factures, photos, courriers…)"),
        _l("Facultatif ; jusqu'à %(count)s fichiers.", count=customer_portal.MAX_DOCUMENTS),
    ),
    "consent": (None, None),  # the consent text comes from the published policy
}


#: How the form is laid out: (legend, fields) per group; consent comes last, on its own.
COMPLAINT_GROUPS = [
    (_l("Vous"), ("customer_name", "customer_email", "customer_phone", "customer_number")),
    (_l("Ce qui s'est passé"), ("subject", "description", "occurred_on", "product", "category")),
    (_l("Votre demande"), ("remedy_wanted", "remedy_details", "asks_for_treatment")),
    (_l("Vos documents"), ("documents",)),
]


BUILTIN_CONSENT = _l(
    "J'accepte que les données personnelles de ce formulaire et mes documents soient traités "
    "pour instruire ma réclamation et m'en informer."
)


#: The milestones of complaint.bpmn, in their usual order, as the customer lives them.
STAGES = {
    "Reçue": (_l("Reçue"), _l("Nous avons bien reçu votre réclamation.")),
    "Accusée": (
        _l("Prise en charge"),
        _l(
            "Nous avons accusé réception de votre réclamation et l'avons confiée à l'équipe "
            "compétente."
        ),
    ),
    "En traitement": (
        _l("En cours d'examen"),
        _l("Nous étudions votre réclamation et la solution à vous proposer."),
    ),
    "Réponse envoyée": (_l("Réponse envoyée"), _l("Nous vous avons envoyé notre réponse.")),
    "En attente du client": (
        _l("Votre avis est attendu"),
        _l("Dites-nous si notre réponse vous satisfait."),
    ),
    "Clôturée": (_l("Clôturée"), _l("Le traitement de votre réclamation est terminé.")),
}


MESSAGE_TITLES = {
    "acknowledgement": _l("Accusé de réception"),
    "progress_update": _l("Point d'avancement"),
    "answer": _l("Notre réponse"),
    "final_answer": _l("Notre position définitive"),
    "checkin_questions": _l("Votre avis sur le traitement de votre réclamation"),
    "checkin_reminder": _l("Rappel : votre avis est attendu"),
    "thanks": _l("Merci pour votre retour"),
}


EXPECTED = {
    "acknowledgement": _l("Accusé de réception au plus tard le %(date)s"),
    "answer": _l("Notre réponse au plus tard le %(date)s"),
}


DEADLINE_SENTENCES = {
    "acknowledgement": _l(
        "Nous accusons réception de votre réclamation dans un délai de %(delay)s."
    ),
    "answer": _l("Nous vous répondons dans un délai de %(delay)s à compter de sa réception."),
}
