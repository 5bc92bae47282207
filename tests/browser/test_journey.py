"""A complaint's whole life in a real browser, against the live server and the real processes.

Ana Martin files a complaint on the portal with her invoice; Alice (agent) checks, qualifies,
assesses, decides and answers it in the web interface; Ana reads the answer on her tracking
page and says she is satisfied; Audrey (auditor) finds the complaint closed, with its story.
Nothing waits for time to pass: after the answer the check-in questionnaire is asked at once
(``customer_checkin.bpmn``), and the customer's reply closes the complaint straight away.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.support import Translations
from playwright.sync_api import Page, expect

from cli.demo import one_page_pdf
from engine.config import PROJECT_ROOT
from tests.browser.conftest import choose, fill_in_the_complaint_form, sign_in

INVOICE = "facture-novembre.pdf"
ANSWER = "Nous avons corrigé votre facture et vous remboursons la différence."


def write_invoice_pdf(path: Path) -> Path:
    """A small but well-formed one-page PDF (the server checks a document's type by content)."""
    path.write_bytes(one_page_pdf("Facture novembre : abonnement 29,99 EUR x 2"))
    return path


# --- what people do in the pages ------------------------------------------------------------------


def take_task(page: Page, reference: str, task: str) -> None:
    """From the inbox, claim the complaint's task and open it."""
    page.goto(f"/?q={reference}")
    row = page.get_by_role("row").filter(has_text=reference).filter(has_text=task)
    row.get_by_role("button", name="Prendre").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Vous avez pris la tâche « {task} » ({reference})."
    )
    row.get_by_role("link", name=task).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(task)


def finish_task(page: Page, reference: str, task: str) -> None:
    page.get_by_role("button", name="Terminer la tâche").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Tâche « {task} » terminée pour le dossier {reference}."
    )


# --- the journey ----------------------------------------------------------------------------------


def test_a_complaint_filed_online_is_handled_answered_and_closed(new_page, screenshot, tmp_path):
    invoice = write_invoice_pdf(tmp_path / INVOICE)

    # Ana files her complaint on the portal, with her invoice, and keeps her tracking link.
    customer = new_page()
    customer.goto("/portal/")
    expect(customer.get_by_role("heading", level=1)).to_have_text("Déposer une réclamation")
    fill_in_the_complaint_form(customer, documents=[invoice])
    screenshot(customer, "portal-form-filled")
    customer.get_by_role("button", name="Envoyer ma réclamation").click()

    expect(customer.get_by_role("heading", level=1)).to_have_text(
        "Votre réclamation est enregistrée"
    )
    reference = customer.locator(".reference").inner_text()
    tracking_link = customer.locator("#tracking-link").get_attribute("href")
    assert re.fullmatch(r".+/portal/track/[A-Za-z0-9_-]{20,}", tracking_link)
    screenshot(customer, "portal-confirmation")

    # Alice finds it in her inbox, checks the web submission (the invoice is there) and
    # qualifies it.
    agent = new_page()
    sign_in(agent, "alice")
    expect(agent.get_by_role("heading", level=1)).to_have_text("Mes tâches")
    expect(agent.get_by_role("row").filter(has_text=reference)).to_contain_text(
        "Vérifier la saisie web"
    )
    screenshot(agent, "inbox-new-complaint")

    take_task(agent, reference, "Vérifier la saisie web")
    expect(agent.get_by_role("link", name=INVOICE)).to_be_visible()
    choose(agent, "Identité, coordonnées et description sont exploitables", "Oui")
    screenshot(agent, "check-web-submission")
    finish_task(agent, reference, "Vérifier la saisie web")

    take_task(agent, reference, "Qualifier la demande")
    choose(agent, "Nature", "Réclamation")
    expect(agent.get_by_label("Catégorie")).to_have_value("billing")  # as the customer said
    expect(agent.get_by_label("Produit ou contrat concerné")).to_have_value("Box Internet")
    screenshot(agent, "qualify")
    finish_task(agent, reference, "Qualifier la demande")

    # She assesses it (minor), decides a refund within her delegation and writes the answer.
    take_task(agent, reference, "Évaluer la réclamation")
    choose(agent, "J'ai pris connaissance de l'historique du client", "Oui")
    choose(agent, "Gravité", "Mineure")
    choose(agent, "Complexité", "Simple")
    choose(agent, "Répercussions", "Ce client seulement")
    screenshot(agent, "assess")
    finish_task(agent, reference, "Évaluer la réclamation")

    take_task(agent, reference, "Décider de la réponse")
    agent.get_by_label("Remède").select_option(label="Remboursement")
    agent.get_by_label("Montant accordé").fill("30.00")
    agent.get_by_label("Justification").fill("Le client a été facturé deux fois : erreur avérée.")
    screenshot(agent, "decide")
    finish_task(agent, reference, "Décider de la réponse")

    take_task(agent, reference, "Rédiger la réponse")
    agent.get_by_label("Réponse au client").fill(ANSWER)
    screenshot(agent, "write-answer")
    finish_task(agent, reference, "Rédiger la réponse")
    expect(agent.get_by_role("row").filter(has_text=reference)).to_have_count(0)

    # Ana opens her tracking link: her opinion is awaited, and our answer is there.
    customer.goto(tracking_link)
    expect(customer.get_by_role("heading", level=1)).to_have_text(f"Votre réclamation {reference}")
    expect(customer.locator("[aria-current=step]")).to_contain_text("Votre avis est attendu")
    messages = customer.get_by_role("region", name="Nos messages")
    messages.get_by_text("Notre réponse", exact=True).click()
    expect(messages.get_by_text(ANSWER)).to_be_visible()
    expect(messages).to_contain_text("Nous vous proposons un remboursement de 30,00 €.")
    screenshot(customer, "tracking-answer")
    with customer.expect_download() as download:
        customer.get_by_role("region", name="Vos documents").get_by_role(
            "link", name=INVOICE
        ).click()
    assert download.value.suggested_filename == INVOICE
    assert Path(download.value.path()).read_bytes() == invoice.read_bytes()

    # She answers the check-in questionnaire: she is satisfied.
    questionnaire = customer.get_by_role(
        "region", name="Votre avis sur le traitement de votre réclamation"
    )
    choose(questionnaire, "Votre problème a-t-il été pris en compte", "Oui")
    choose(questionnaire, "Les actions de correction ont-elles été planifiées", "Oui")
    choose(questionnaire, "Comment voyez-vous la suite de notre relation ?", "Je continue")
    choose(questionnaire, "Êtes-vous satisfait du traitement de votre réclamation ?", "Oui")
    questionnaire.get_by_label("Commentaire").fill("Merci pour la rapidité.")
    screenshot(customer, "tracking-questionnaire")
    questionnaire.get_by_role("button", name="Envoyer mon avis").click()

    expect(customer.get_by_role("status")).to_contain_text(
        "Merci ! Votre avis nous a bien été transmis."
    )
    expect(customer.locator("[aria-current=step]")).to_contain_text("Clôturée")
    expect(customer.get_by_text(re.compile(r"Clôturée le \d"))).to_be_visible()
    expect(customer.get_by_role("region", name="Merci pour votre avis")).to_be_visible()
    screenshot(customer, "tracking-closed")

    # Audrey, the auditor, finds the file closed, with its whole story and the invoice.
    auditor = new_page()
    sign_in(auditor, "audrey")
    auditor.goto(f"/complaints/{reference}")
    expect(auditor.get_by_role("heading", level=1)).to_have_text(f"Dossier {reference}")
    status = auditor.locator("p.status")
    expect(status).to_contain_text("Étape : Clôturée")
    expect(status).to_contain_text("État : Terminé")
    documents = auditor.get_by_role("region", name="Pièces jointes")
    expect(documents.get_by_role("link", name=INVOICE)).to_be_visible()
    expect(documents).to_contain_text("envoyé par le client")
    timeline = auditor.get_by_role("region", name="Historique").get_by_role("listitem")
    expect(timeline).to_contain_text(
        [
            "Reçue le",
            "Tâche « Vérifier la saisie web » terminée par Alice Martin",
            "Accusé de réception envoyé le",
            re.compile(r"Priorité .+ évaluée par Alice Martin"),
            "Réponse envoyée le",
            "Questionnaire de satisfaction envoyé le",
            "Avis du client reçu le",
            "Étape « Clôturée »",
        ]
    )
    screenshot(auditor, "complaint-file-closed")


# --- languages ------------------------------------------------------------------------------------

#: The portal form's labels in French, the source language of the interface.
PORTAL_LABELS = [
    "Vos prénom et nom",
    "Votre adresse e-mail",
    "Objet de votre réclamation",
    "Que s'est-il passé ?",
    "Produit, service ou contrat concerné",
    "Votre réclamation concerne",
    "Ce que vous souhaitez obtenir",
]
PORTAL_TITLE, PORTAL_SEND = "Déposer une réclamation", "Envoyer ma réclamation"


def english_catalogue() -> Translations:
    """The compiled English catalogue the server reads."""
    return Translations.load(str(PROJECT_ROOT / "webui" / "translations"), ["en"])


def test_the_complaint_form_switches_to_english(new_page, screenshot):
    english = english_catalogue().gettext
    page = new_page()
    page.goto("/portal/")
    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "portal-english")
    texts = [PORTAL_TITLE, *PORTAL_LABELS, PORTAL_SEND]
    untranslated = [text for text in texts if english(text) == text]
    assert not untranslated, f"no English in the catalogue for {untranslated}"
    expect(page.get_by_role("heading", level=1)).to_have_text(english(PORTAL_TITLE))
    for label in PORTAL_LABELS:
        expect(page.get_by_label(english(label))).to_be_visible()
    expect(page.get_by_role("button", name=english(PORTAL_SEND))).to_be_visible()
    # the choices come from the deployed forms, which carry their own English
    expect(page.locator("select[name=category] option")).to_contain_text(["Billing", "Delivery"])
