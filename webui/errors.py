"""Friendly error pages: domain errors and HTTP errors map here once, never to a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from engine.db import schema
from engine.db.schema import SchemaNotReady
from engine.errors import (
    ConcurrentUpdate,
    DoleanceError,
    NotAllowed,
    NotFound,
    ProcessError,
    TaskAlreadyClaimed,
    TaskAlreadyCompleted,
)
from engine.services.portal import Publication, published_policy
from webui import database

PORTAL_PREFIX = "/portal"  # the customers' part of the site

PAGES = {
    400: (_l("Demande invalide"), _l("La demande envoyée n'a pas pu être comprise.")),
    401: (_l("Connexion requise"), _l("Connectez-vous pour continuer.")),
    403: (_l("Accès refusé"), _l("Votre rôle ne vous permet pas d'ouvrir cette page.")),
    404: (_l("Introuvable"), _l("Cette page ou ce dossier n'existe pas.")),
    405: (_l("Action impossible"), _l("Cette action n'est pas possible ici.")),
    409: (
        _l("Tâche déjà traitée"),
        _l(
            "Une autre personne a terminé cette tâche, ou modifié le dossier, juste avant vous : "
            "votre saisie n'a pas été enregistrée. Ouvrez le dossier pour voir où il en est."
        ),
    ),
    413: (_l("Envoi trop volumineux"), _l("Les fichiers envoyés sont trop volumineux.")),
    429: (_l("Trop de tentatives"), _l("Trop de demandes en peu de temps. Réessayez plus tard.")),
    503: (
        _l("Service indisponible"),
        _l("Le service n'est pas disponible pour le moment. Réessayez plus tard."),
    ),
    500: (
        _l("Erreur du serveur"),
        _l("Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard."),
    ),
}


def error_page(status: int, explanation: str | None = None, **context):
    """The error page of the reader's part of the site: the portal's for customers (its header
    links to what customers may do), the staff's everywhere else."""
    title, default = PAGES.get(status, PAGES[500])
    if request.path == PORTAL_PREFIX or request.path.startswith(PORTAL_PREFIX + "/"):
        page = render_template(
            "portal/notice.html",
            publication=_publication(),
            title=title,
            explanation=explanation or default,
        )
        return page, status
    return (
        render_template(
            "error.html", status=status, title=title, explanation=explanation or default, **context
        ),
        status,
    )


def _publication() -> Publication | None:
    """The organisation as the portal presents it; None while the database cannot say."""
    try:
        return published_policy(database().unit_of_work(read_only=True))
    except (DoleanceError, SQLAlchemyError):
        return None


#: What an operator does when the database is not ready (engine.db.schema.SchemaNotReady codes).
SCHEMA_ADVICE = {
    "missing": _l(
        "La base de données n'a pas encore de schéma : lancez « doleance init » pour la créer."
    ),
    "old": _l(
        "La base de données a un schéma plus ancien que cette version de Doléance : lancez "
        "« doleance init » pour la mettre à jour."
    ),
    "unknown": _l(
        "La base de données a un schéma plus récent que cette version de Doléance : mettez "
        "Doléance à jour."
    ),
}


def register(app: Flask) -> None:
    @app.before_request
    def require_schema():
        """Until the database has this version's schema, every page says what to run."""
        if request.endpoint != "static" and not app.extensions.get("doleance_schema_ready"):
            schema.require_current(database().engine)  # SchemaNotReady → the page below
            app.extensions["doleance_schema_ready"] = True

    @app.errorhandler(SchemaNotReady)
    def schema_not_ready(error):
        app.logger.error("%s", error)
        return error_page(503, str(SCHEMA_ADVICE[error.code]))

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return error_page(
            400,
            _(
                "Le formulaire a expiré ou ne provient pas de cette application. "
                "Rechargez la page et recommencez."
            ),
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        limit = current_app.config["DOLEANCE_SETTINGS"].max_upload_bytes / (1024 * 1024)
        return error_page(
            413,
            _(
                "Les fichiers envoyés dépassent la taille permise (%(limit)s Mo par fichier). "
                "Rien n'a été enregistré : revenez en arrière et joignez des fichiers plus "
                "petits, ou moins de fichiers à la fois.",
                limit=f"{limit:g}",
            ),
        )

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
    def task_gone(error):
        return error_page(
            409,
            _(
                "Une autre personne a terminé cette tâche (ou le processus l'a annulée) juste "
                "avant vous : votre saisie n'a pas été enregistrée. Ouvrez le dossier pour voir "
                "où il en est."
            ),
        )

    @app.errorhandler(TaskAlreadyClaimed)
    def task_taken(error):
        if current_user.is_authenticated and current_user.has_role("supervisor", "admin"):
            advice = _(
                "Une autre personne vient de prendre cette tâche : elle seule peut la terminer. "
                "Si besoin, remettez-la dans la file ou réattribuez-la depuis la page de la tâche."
            )
        else:
            advice = _(
                "Une autre personne vient de prendre cette tâche : elle seule peut la terminer. "
                "Demandez à un superviseur de vous la réattribuer si besoin."
            )
        return error_page(409, advice)

    @app.errorhandler(ConcurrentUpdate)
    def conflict(error):
        return error_page(
            409,
            _(
                "Une autre personne a modifié ce dossier au même moment : votre saisie n'a pas "
                "été enregistrée. Rechargez la page et recommencez."
            ),
        )

    @app.errorhandler(ProcessError)
    def process_failed(error):
        app.logger.error("process error: %s", error)
        return error_page(
            500,
            _(
                "Le processus n'a pas pu avancer (une règle du diagramme a échoué). "
                "L'incident est noté dans l'historique du dossier ; prévenez le responsable "
                "du processus."
            ),
        )

    @app.errorhandler(DoleanceError)
    def refused(error):
        """Any other domain error: what the engine said, never a server error."""
        app.logger.info("refused: %s", error)
        return error_page(
            400, _("La demande n'a pas pu être acceptée : %(reason)s", reason=str(error))
        )

    @app.errorhandler(InternalServerError)
    def server_error(error):
        return error_page(500)
