"""The engine's problems and refusals in the reader's language, from their codes.

The engine words each problem with a process file, and each refusal of the studio, in English
from a code of :data:`engine.problems.MESSAGES` and its params (see
:class:`engine.problems.Wording`); here is the French of every code, translated to English
through the catalogue like every text of the interface.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine.forms import ErrorMessage
from engine.problems import Problem, Wording, wording_of
from webui.forms import in_language

#: The text of each code of engine.problems.MESSAGES, with the same placeholders.
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
    "in_namespace": _l("<%(tag)s> dans l'espace de noms %(namespace)s"),
    # form definitions
    "form_unreadable": _l("le fichier ne peut pas être lu : %(reason)s"),
    "form_not_utf8": _l("le fichier n'est pas du texte UTF-8 (%(reason)s)"),
    "form_json": _l("JSON non valide ligne %(line)s, colonne %(column)s : %(detail)s"),
    "form_json_too_deep": _l("le JSON est imbriqué trop profondément"),
    "form_not_object": _l("le formulaire doit être un objet JSON, reçu : %(got)s"),
    "form_key_twice": _l("« %(key)s » est donné plus d'une fois"),
    "form_in_setting": _l("« %(setting)s » : %(problem)s"),
    "form_in_choice": _l("choix n° %(choice)s : %(problem)s"),
    "form_unknown_setting": _l("réglage « %(key)s » inconnu pour un formulaire%(hint)s"),
    "form_field_unknown_setting": _l("réglage « %(key)s » inconnu pour un champ %(type)s%(hint)s"),
    "form_choice_unknown_setting": _l("réglage « %(key)s » inconnu pour un choix%(hint)s"),
    "form_hint_close": _l(" (vouliez-vous dire « %(close)s » ?)"),
    "form_hint_allowed": _l(" ; réglages permis : %(allowed)s"),
    "form_text_required": _l("« %(setting)s » est obligatoire"),
    "form_text_not_object": _l(
        "« %(setting)s » doit être un objet avec un texte par langue, comme "
        '{"fr": "...", "en": "..."}, reçu : %(got)s'
    ),
    "form_text_empty": _l(
        "le texte « %(language)s » de « %(setting)s » doit être un texte non vide"
    ),
    "form_text_language_missing": _l("« %(setting)s » n'a pas de texte « %(language)s »"),
    "form_boolean": _l("« %(key)s » doit valoir true ou false, reçu : %(got)s"),
    "form_count": _l(
        "« %(key)s » doit être un nombre entier supérieur ou égal à %(low)s, reçu : %(got)s"
    ),
    "form_number": _l("« %(key)s » doit être un nombre, reçu : %(got)s"),
    "form_places": _l("« %(key)s » doit avoir au plus 2 décimales, reçu : %(got)s"),
    "form_date": _l("« %(key)s » doit être une date écrite AAAA-MM-JJ, reçu : %(got)s"),
    "form_order": _l("« %(low_key)s » (%(low)s) est plus grand que « %(high_key)s » (%(high)s)"),
    "form_fields_required": _l(
        "« fields » est obligatoire (écrivez [] pour un formulaire sans champ)"
    ),
    "form_fields_not_list": _l("« fields » doit être une liste de champs, reçu : %(got)s"),
    "form_field_not_object": _l("le champ n° %(number)s doit être un objet JSON, reçu : %(got)s"),
    "form_key_missing": _l("le champ n'a pas de « key »"),
    "form_key_not_text": _l("« key » doit être un texte, reçu : %(got)s"),
    "form_key_invalid": _l(
        "la clé « %(key)s » n'est pas valide : n'utilisez que des lettres, des chiffres et "
        "des tirets bas (_), sans commencer par un chiffre"
    ),
    "form_key_underscore": _l("la clé ne doit pas commencer par « _ »"),
    "form_key_keyword": _l(
        "la clé est un mot réservé de Python et ne peut pas servir dans les conditions"
    ),
    "form_key_reserved": _l("la clé est réservée par le moteur de workflow"),
    "form_key_used": _l("la clé est déjà celle d'un autre champ"),
    "form_key_used_at": _l("la clé est déjà celle d'un autre champ, ligne %(line)s"),
    "form_type_missing": _l("le type manque ; attendu : l'un de %(types)s"),
    "form_type_unknown": _l(
        "le type « %(type)s » est inconnu%(hint)s ; attendu : l'un de %(types)s"
    ),
    "form_type_invalid": _l("le type %(got)s n'est pas valide ; attendu : l'un de %(types)s"),
    "form_readonly_required": _l(
        "un champ en lecture seule ne peut pas être obligatoire (personne ne peut le remplir)"
    ),
    "form_currency": _l("« currency » doit être un code de 3 lettres comme EUR, reçu : %(got)s"),
    "form_max_files_single": _l("« max_files » ne vaut que si « multiple » est true"),
    "form_pattern_not_text": _l("« pattern » doit être un texte, reçu : %(got)s"),
    "form_pattern_invalid": _l(
        "« pattern » n'est pas une expression régulière valide : %(detail)s"
    ),
    "form_choices": _l(
        '« choices » doit être une liste non vide d\'objets {"value", "label"}, reçu : %(got)s'
    ),
    "form_choice_not_object": _l("le choix n° %(choice)s doit être un objet JSON"),
    "form_choice_value": _l("« value » doit être un texte non vide, reçu : %(got)s"),
    "form_choice_twice": _l("la valeur de choix « %(value)s » figure deux fois"),
    "form_min_items_over": _l("« min_items » (%(min)s) dépasse les %(count)s choix proposés"),
    "form_default_invalid": _l(
        "la valeur par défaut %(value)s n'est pas valide pour ce champ : %(reason)s"
    ),
    "json_object": _l("un objet"),
    "json_list": _l("une liste"),
    "json_empty_list": _l("une liste vide"),
    # the policy
    "policy_toml": _l("ce n'est pas du TOML valide : %(detail)s"),
    "policy_not_table": _l("« %(key)s » doit être une table, comme [%(key)s]"),
    "policy_values_not_tables": _l("donnez des tables [[publication.values]]"),
    "policy_text_per_language": _l("donnez un texte par langue : %(wanted)s"),
    "policy_not_text": _l("doit être un texte"),
    "calendar_country": _l("pays inconnu : %(country)s"),
    "calendar_subdivision": _l("subdivision inconnue : %(subdivision)s"),
    "calendar_subdivision_of": _l(
        "subdivision %(subdivision)s inconnue pour %(country)s ; connues : %(known)s"
    ),
    "calendar_none": _l("aucune"),
    "calendar_no_timezone": _l(
        "pas de fuseau horaire par défaut pour le pays %(country)s ; indiquez un fuseau IANA "
        '(par exemple timezone = "Asia/Tokyo")'
    ),
    "calendar_timezone": _l("fuseau horaire inconnu : %(timezone)s"),
    "calendar_unknown_key": _l("réglage %(key)s inconnu ; permis : %(allowed)s"),
    "calendar_unknown": _l("calendrier %(name)s inconnu ; connus : %(known)s"),
    "calendar_never_open": _l(
        "aucun jour ouvré dans les dix ans à partir du %(day)s : les fermetures ne laissent "
        "aucun jour ouvert"
    ),
    "closures_not_list": _l("« %(key)s » doit être une liste, comme %(key)s = %(example)s"),
    "closure_invalid": _l(
        "« %(value)s » n'est ni une date ni une période ; écrivez 2026-12-24 ou "
        "2026-12-26..2027-01-01"
    ),
    "closure_reversed": _l("la période « %(value)s » finit avant de commencer"),
    "yearly_closure_invalid": _l(
        "« %(value)s » n'est pas un jour de l'année ; écrivez-le MM-JJ, comme 12-24"
    ),
    "hours_unknown_day": _l("jour « %(day)s » inconnu ; connus : %(known)s"),
    "hours_never_open": _l(
        "aucun jour n'a d'horaires d'ouverture ; donnez-en au moins un, "
        'comme monday = "09:00-18:00"'
    ),
    "hours_not_text": _l(
        "donnez les horaires sous forme de texte, comme « %(example)s », ou omettez le jour "
        "s'il est fermé"
    ),
    "hours_invalid": _l(
        "« %(hours)s » ne sont pas des horaires ; écrivez des plages en heures de 0 à 24, "
        "comme « %(example)s »"
    ),
    "hours_empty_period": _l("la plage « %(period)s » finit avant de commencer"),
    "hours_overlap": _l("les plages « %(first)s » et « %(second)s » se chevauchent"),
    "rule_name": _l("le nom d'une règle de délai doit être un texte non vide, reçu : %(name)s"),
    "rule_in_calendar": _l("règle de délai « %(rule)s » : %(problem)s"),
    "rule_not_table": _l(
        'règle de délai « %(rule)s » : donnez une table, par exemple preset = "acpr-answer"'
    ),
    "rule_not_mapping": _l("règle de délai « %(rule)s » : une table est attendue, reçu : %(got)s"),
    "rule_unknown_preset": _l(
        "règle de délai « %(rule)s » : préréglage « %(preset)s » inconnu ; connus : %(known)s"
    ),
    "rule_preset_extra": _l(
        "règle de délai « %(rule)s » : un préréglage n'accepte que « warning » à côté de lui, "
        "pas %(keys)s"
    ),
    "rule_unknown_key": _l(
        "règle de délai « %(rule)s » : clé %(key)s inconnue ; permises : %(allowed)s"
    ),
    "rule_missing_key": _l("règle de délai « %(rule)s » : la clé obligatoire %(key)s manque"),
    "rule_unit": _l("règle de délai « %(rule)s » : unité %(unit)s inconnue ; connues : %(known)s"),
    "rule_count": _l(
        "règle de délai « %(rule)s » : count doit être un entier positif, reçu : %(count)s"
    ),
    "rule_roll_forward": _l(
        "règle de délai « %(rule)s » : roll_forward doit valoir true ou false, reçu : %(value)s"
    ),
    "rule_roll_to": _l(
        "règle de délai « %(rule)s » : roll_to %(roll_to)s inconnu ; connus : %(known)s"
    ),
    "rule_warning": _l(
        "règle de délai « %(rule)s » : warning doit être un nombre strictement entre 0 et 1, "
        "reçu : %(warning)s"
    ),
    "rule_subdivision_without_country": _l(
        "règle de délai « %(rule)s » : la subdivision %(subdivision)s demande un pays (country)"
    ),
    "rule_roll_opening": _l(
        "règle de délai « %(rule)s » : roll_forward ne s'applique pas à %(unit)s, dont "
        "l'échéance tombe toujours pendant les heures d'ouverture"
    ),
    "rule_without_hours": _l(
        "règle de délai « %(rule)s » : elle compte en %(unit)s, mais le calendrier n'a pas "
        "d'horaires d'ouverture ; donnez-les dans [organisation.hours]"
    ),
    "rule_legal": _l(
        "règle de délai « %(rule)s » : legal doit valoir true ou false, reçu : %(value)s"
    ),
    "rule_pause_while": _l(
        "règle de délai « %(rule)s » : pause_while doit être une liste d'états, comme "
        '["waiting_customer"], reçu : %(value)s'
    ),
    "rule_pause_state": _l(
        "règle de délai « %(rule)s » : état de pause %(state)s inconnu ; connus : %(known)s"
    ),
    "rule_pause_legal": _l(
        "règle de délai « %(rule)s » : un délai légal ne s'arrête jamais (le délai du "
        "régulateur court pendant que l'organisation attend) ; retirez pause_while"
    ),
    # message templates
    "template_misplaced": _l("attendu : %(folder)s<langue>/<nom du message>.txt"),
    "template_language": _l("dossier de langue « %(language)s » inconnu (connus : %(known)s)"),
    "template_subject_line": _l("la première ligne doit être « Subject: … » (l'objet du courriel)"),
    "template_second_line": _l(
        "laissez la deuxième ligne vide ; le corps du message commence à la troisième"
    ),
    "template_empty_body": _l("le corps du message est vide"),
    "template_error": _l("erreur dans le modèle : %(detail)s"),
    "template_empty_subject": _l("l'objet est vide une fois le modèle rempli"),
    "template_undefined": _l("« %(name)s » n'est pas défini"),
    "template_missing": _l(
        "aucun modèle en %(language)s pour ce message, que « %(element)s » envoie à "
        "%(audience)s : ajoutez %(path)s"
    ),
    "template_render": _l(
        "ne peut pas être rempli avec ce qu'envoie « %(element)s » (%(file)s) : %(detail)s"
    ),
    "template_unknown_names": _l(
        "utilise %(names)s, qu'aucun diagramme n'envoie avec ce message (il envoie : %(sent)s)"
    ),
    "language_fr": _l("français"),
    "language_en": _l("anglais"),
    "audience_customer": _l("le client"),
    "audience_team": _l("l'équipe"),
    # the studio's refusals
    "name_not_process_file": _l(
        "« %(name)s » n'est pas un fichier de processus ; attendu : nom.bpmn, nom.dmn, "
        "%(policy)s, forms/nom.json ou messages/langue/nom.txt"
    ),
    "name_refused": _l(
        "« %(name)s » ne peut pas servir de nom de fichier : utilisez %(allowed)s, "
        "comme %(example)s"
    ),
    "name_chars_form": _l("des lettres, des chiffres, « _ », « - » et « . »"),
    "name_chars_data": _l("des lettres, des chiffres et « _ »"),
    "name_chars_message": _l("des lettres, des chiffres, « _ » et « - »"),
    "text_missing": _l("le texte du fichier manque"),
    "draft_changed": _l(
        "« %(name)s » a été modifié par %(user)s pendant que vous le modifiiez ; "
        "rechargez-le et refaites votre modification"
    ),
    "draft_changed_by_deployment": _l(
        "« %(name)s » a été modifié par un déploiement pendant que vous le modifiiez ; "
        "rechargez-le et refaites votre modification"
    ),
    "no_draft": _l("il n'y a aucun brouillon à déployer"),
    "drafts_changed": _l(
        "les brouillons ont changé depuis que vous avez vu les changements ; relisez-les"
    ),
    "nothing_new": _l(
        "avec les brouillons, les fichiers sont exactement ceux de la version %(number)s : "
        "rien de nouveau à déployer ; abandonnez les brouillons"
    ),
    "same_versions": _l("choisissez deux versions différentes"),
}
#: What a piece of diagram code is (the ``kind`` of engine.bpmn.diagram_code), as a sentence starts.
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
    """A problem with a process file, in the reader's language."""
    if problem.code is None:
        return problem.message
    return _worded(problem.code, problem.params)


def refusal_text(error: Exception) -> str:
    """What an engine error says, in the reader's language when the engine worded it."""
    return _in_language("", wording_of(error))


def _worded(code: str, params) -> str:
    template = PROBLEM_TEXTS.get(code)
    if template is None:
        return Wording(code, **params)
    return str(template) % {name: _in_language(name, value) for name, value in params.items()}


def _in_language(name: str, value: str) -> str:
    """A param in the reader's language: a fragment the engine worded, a form's error message,
    the kind of a piece of diagram code; anything else is the file's own words."""
    if isinstance(value, ErrorMessage):  # a Wording of the form's own table
        return in_language([value])[0]
    if isinstance(value, Wording):
        return _worded(value.code, value.params)
    if name == "kind":
        return str(CODE_KINDS.get(value, value))
    return value
