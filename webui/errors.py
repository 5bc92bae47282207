"""Friendly error pages: domain errors and HTTP errors map here once, never to a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import (
    ConcurrentUpdate,
    NotAllowed,
    NotFound,
    ProcessError,
    TaskAlreadyClaimed,
    TaskAlreadyCompleted,
)

PAGES = {
    400: ("Demande invalide", "La demande envoyée n'a pas pu être comprise."),
    401: ("Connexion requise", "Connectez-vous pour continuer."),
    403: ("Accès refusé", "Votre rôle ne vous permet pas d'ouvrir cette page."),
    404: ("Introuvable", "Cette page ou ce dossier n'existe pas."),
    405: ("Action impossible", "Cette action n'est pas possible ici."),
    409: (
        "Tâche déjà traitée",
        "Une autre personne a terminé cette tâche, ou modifié le dossier, juste avant vous : "
        "votre saisie n'a pas été enregistrée. Ouvrez le dossier pour voir où il en est.",
    ),
    500: (
        "Erreur du serveur",
        "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard.",
    ),
}
CSRF_EXPLANATION = (
    "Le formulaire a expiré ou ne provient pas de cette application. "
    "Rechargez la page et recommencez."
)


def error_page(status: int, explanation: str | None = None, **context):
    title, default = PAGES.get(status, PAGES[500])
    return (
        render_template(
            "error.html", status=status, title=title, explanation=explanation or default, **context
        ),
        status,
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return error_page(400, CSRF_EXPLANATION)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        return error_page(error.code if error.code in PAGES else 500)

    @app.errorhandler(NotAllowed)
    def not_allowed(error):
        return error_page(403)

    @app.errorhandler(NotFound)
    def not_found(error):
        return error_page(404)

    @app.errorhandler(TaskAlreadyCompleted)
    @app.errorhandler(TaskAlreadyClaimed)
    @app.errorhandler(ConcurrentUpdate)
    def conflict(error):
        return error_page(409)

    @app.errorhandler(ProcessError)
    def process_failed(error):
        app.logger.error("process error: %s", error)
        return error_page(
            500,
            "Le processus n'a pas pu avancer (une règle du diagramme a échoué). "
            "L'incident est noté dans l'historique du dossier ; prévenez le responsable "
            "du processus.",
        )

    @app.errorhandler(InternalServerError)
    def server_error(error):
        return error_page(500)
