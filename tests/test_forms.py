"""Stories about user-task forms: a process owner writes a form file, an agent submits it."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema

from engine.forms import (
    FIELD_TYPES,
    FormDefinition,
    FormDefinitionError,
    FormProblem,
    FormValidationError,
    load_form_definition,
    localized,
    parse_form_definition,
    validate_submission,
)

FILE_A = "a" * 64
FILE_B = "b" * 64


def label(text: str) -> dict[str, str]:
    return {"fr": text, "en": text}


def choices(*values: str) -> list[dict[str, Any]]:
    return [{"value": value, "label": label(value)} for value in values]


def qualify_form() -> dict[str, Any]:
    """The 'qualify the complaint' form of the brief, one field of each kind."""
    return {
        "title": {"fr": "Qualifier la réclamation", "en": "Qualify the complaint"},
        "description": {"fr": "Première analyse", "en": "First analysis"},
        "fields": [
            {
                "key": "kind",
                "type": "choice",
                "required": True,
                "label": {"fr": "Nature", "en": "Kind"},
                "help": {"fr": "Réclamation ou insatisfaction", "en": "Complaint or not"},
                "choices": choices("complaint", "dissatisfaction"),
            },
            {
                "key": "amount",
                "type": "money",
                "min": 0,
                "max": 100000,
                "currency": "EUR",
                "label": label("Amount"),
            },
            {
                "key": "description",
                "type": "long_text",
                "min_length": 10,
                "max_length": 5000,
                "label": label("Description"),
            },
            {
                "key": "reference",
                "type": "text",
                "pattern": "^[A-Z0-9-]+$",
                "max_length": 40,
                "label": label("Reference"),
            },
            {"key": "received_on", "type": "date", "min": "2000-01-01", "label": label("Date")},
            {"key": "satisfied", "type": "yes_no", "required": True, "label": label("Satisfied")},
            {
                "key": "channels",
                "type": "multi_choice",
                "choices": choices("mail", "phone", "web"),
                "min_items": 1,
                "max_items": 2,
                "label": label("Channels"),
            },
            {
                "key": "count",
                "type": "number",
                "integer": True,
                "min": 0,
                "max": 50,
                "label": label("Count"),
            },
            {"key": "ratio", "type": "number", "min": 0, "max": 1, "label": label("Ratio")},
            {
                "key": "documents",
                "type": "file",
                "multiple": True,
                "max_files": 2,
                "label": label("Documents"),
            },
            {"key": "proof", "type": "file", "label": label("Proof")},
            {"key": "note", "type": "text", "default": "", "readonly": False, "label": label("N")},
            {
                "key": "agency",
                "type": "text",
                "readonly": True,
                "default": "Paris",
                "label": label("Agency"),
            },
        ],
    }


@pytest.fixture(scope="module")
def qualify() -> FormDefinition:
    return parse_form_definition(qualify_form(), "qualify.json")


def form_with(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"title": label("Form"), "fields": list(fields)}


def problems_of(source: str | dict[str, Any], name: str = "form.json") -> list[FormProblem]:
    with pytest.raises(FormDefinitionError) as caught:
        parse_form_definition(source, name)
    return caught.value.problems


def only_problem(source: str | dict[str, Any]) -> FormProblem:
    problems = problems_of(source)
    assert len(problems) == 1, problems
    return problems[0]


def errors_of(definition: FormDefinition, data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(FormValidationError) as caught:
        validate_submission(definition, data)
    return caught.value.errors


VALID_SUBMISSION: dict[str, Any] = {"kind": "complaint", "satisfied": "no"}


# --------------------------------------------------------------------------- loading


def test_a_valid_form_file_loads_and_is_named_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "qualify.json"
    text = json.dumps(qualify_form(), indent=2, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    first_field_line = text.splitlines().index("    {") + 1

    form = load_form_definition(path)

    assert form.name == "qualify.json"
    assert localized(form.title, "en") == "Qualify the complaint"
    assert form.keys()[:3] == ("kind", "amount", "description")
    amount = form.field("amount")
    assert (amount.type, amount.min, amount.max, amount.currency) == (
        "money",
        Decimal(0),
        Decimal(100000),
        "EUR",
    )
    assert form.field("received_on").min == date(2000, 1, 1)
    assert [c.value for c in form.field("kind").choices] == ["complaint", "dissatisfaction"]
    assert form.field("kind").line == first_field_line  # where its object starts


def test_money_currency_defaults_to_euro() -> None:
    form = parse_form_definition(
        form_with({"key": "refund", "type": "money", "label": label("Refund")}), "f.json"
    )
    assert form.field("refund").currency == "EUR"


def test_asking_for_a_field_the_form_does_not_have_raises_key_error(
    qualify: FormDefinition,
) -> None:
    with pytest.raises(KeyError, match="no field 'nope'"):
        qualify.field("nope")


def test_localized_prefers_the_language_then_the_fallback() -> None:
    text = {"fr": "Nature", "en": "Kind"}
    assert localized(text, "en") == "Kind"
    assert localized(text, "en-GB") == "Kind"
    assert localized(text, "de") == "Nature"
    assert localized(text, "de", fallback="en") == "Kind"
    assert localized(None, "fr") == ""


# --------------------------------------------------------------------------- bad definitions


def test_unknown_field_type_is_reported_with_the_known_types() -> None:
    problem = only_problem(form_with({"key": "kind", "type": "choise", "label": label("K")}))
    assert problem.field == "kind"
    assert problem.message.startswith("type 'choise' is unknown (did you mean 'choice'?)")
    assert problem.message.endswith("expected one of " + ", ".join(FIELD_TYPES))


def test_missing_label_is_reported() -> None:
    problem = only_problem(form_with({"key": "kind", "type": "text"}))
    assert (problem.field, problem.message) == ("kind", "'label' is required")


def test_label_without_english_text_is_reported() -> None:
    problem = only_problem(form_with({"key": "kind", "type": "text", "label": {"fr": "Nature"}}))
    assert problem.message == "'label' has no 'en' text"


def test_missing_form_title_is_reported() -> None:
    problem = only_problem({"fields": []})
    assert (problem.field, problem.message) == (None, "'title' is required")


def test_duplicate_field_key_is_reported_with_the_line_of_the_first_one() -> None:
    text = json.dumps(
        form_with(
            {"key": "kind", "type": "text", "label": label("A")},
            {"key": "kind", "type": "text", "label": label("B")},
        ),
        indent=2,
    )
    lines = text.splitlines()
    first, second = (n + 1 for n, line in enumerate(lines) if line == '      "key": "kind",')
    problem = only_problem(text)
    assert problem.field == "kind"
    assert problem.message == f"the key is already used by another field at line {first - 1}"
    assert problem.line == second


def test_invalid_regular_expression_is_reported() -> None:
    problem = only_problem(
        form_with({"key": "ref", "type": "text", "pattern": "[A-Z", "label": label("Ref")})
    )
    assert problem.field == "ref"
    assert problem.message.startswith("'pattern' is not a valid regular expression:")


def test_choice_field_with_empty_choices_is_reported() -> None:
    problem = only_problem(
        form_with({"key": "kind", "type": "choice", "choices": [], "label": label("K")})
    )
    assert problem.message == (
        '\'choices\' must be a non-empty list of {"value", "label"} objects, got an empty list'
    )


def test_choice_values_listed_twice_are_reported() -> None:
    problem = only_problem(
        form_with(
            {"key": "kind", "type": "choice", "choices": choices("a", "a"), "label": label("K")}
        )
    )
    assert problem.message == "choice value 'a' is listed twice"


def test_dunder_key_is_refused() -> None:
    problem = only_problem(form_with({"key": "__class__", "type": "text", "label": label("X")}))
    assert (problem.field, problem.message) == ("__class__", "the key must not start with '_'")


def test_typename_key_is_refused_because_the_workflow_serializer_uses_it() -> None:
    problem = only_problem(form_with({"key": "typename", "type": "text", "label": label("X")}))
    assert problem.message == "the key is reserved by the workflow engine"


def test_python_keyword_key_is_refused_because_conditions_could_not_use_it() -> None:
    problem = only_problem(form_with({"key": "class", "type": "text", "label": label("X")}))
    assert "Python keyword" in problem.message


def test_key_that_is_not_an_identifier_is_refused() -> None:
    problem = only_problem(form_with({"key": "2nd-name", "type": "text", "label": label("X")}))
    assert problem.field == "#1"  # fields without a usable key are named by position
    assert problem.message.startswith("key '2nd-name' is not valid")


def test_field_without_key_is_named_by_its_position() -> None:
    problems = problems_of(
        form_with(
            {"key": "a", "type": "text", "label": label("A")},
            {"type": "text", "label": {"fr": "B"}},
        )
    )
    assert [str(p) for p in problems] == [
        "form.json: field '#2': the field has no 'key'",
        "form.json: field '#2': 'label' has no 'en' text",
    ]


def test_non_numeric_bound_is_reported_in_plain_words() -> None:
    problem = only_problem(
        form_with({"key": "amount", "type": "money", "min": "ten", "label": label("A")})
    )
    assert str(problem) == "form.json: field 'amount': 'min' must be a number, got 'ten'"


def test_misspelt_setting_is_reported_with_a_suggestion() -> None:
    problem = only_problem(
        form_with({"key": "ref", "type": "text", "max_lenght": 4, "label": label("R")})
    )
    assert problem.message == (
        "unknown setting 'max_lenght' for a text field (did you mean 'max_length'?)"
    )


def test_a_definition_problem_keeps_its_code_and_params_for_screens_even_copied() -> None:
    problem = only_problem(form_with({"key": "a", "type": "choise", "label": label("A")}))

    assert problem.message.code == "form_type_unknown"
    assert problem.message.params["type"] == "choise"
    assert problem.message.params["hint"].code == "form_hint_close"  # a worded fragment
    copied = copy.deepcopy(problem)
    assert copied == problem and copied.message.params["hint"].code == "form_hint_close"


def test_misspelt_form_setting_is_reported_before_the_missing_fields() -> None:
    text = '{"title": {"fr": "A", "en": "B"},\n "feilds": []}'
    assert [(p.line, p.message) for p in problems_of(text)] == [
        (1, "'fields' is required (use [] for a form without fields)"),
        (2, "unknown setting 'feilds' for a form (did you mean 'fields'?)"),
    ]


def test_min_greater_than_max_is_reported() -> None:
    problem = only_problem(
        form_with({"key": "n", "type": "number", "min": 10, "max": 1, "label": label("N")})
    )
    assert problem.message == "'min' (10) is greater than 'max' (1)"


def test_invalid_currency_code_is_reported() -> None:
    problem = only_problem(
        form_with({"key": "a", "type": "money", "currency": "euro", "label": label("A")})
    )
    assert problem.message == "'currency' must be a 3-letter code such as EUR, got 'euro'"


def test_read_only_field_cannot_be_required() -> None:
    problem = only_problem(
        form_with(
            {"key": "a", "type": "text", "readonly": True, "required": True, "label": label("A")}
        )
    )
    assert problem.message.startswith("a read-only field cannot be required")


def test_max_files_without_multiple_is_reported() -> None:
    problem = only_problem(
        form_with({"key": "doc", "type": "file", "max_files": 3, "label": label("D")})
    )
    assert problem.message == "'max_files' only applies when 'multiple' is true"


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ({"type": "number", "min": 0, "default": -5}, "Must be at least 0."),
        ({"type": "text", "pattern": "[A-Z]+", "default": "abc"}, "expected format"),
        ({"type": "choice", "choices": choices("a", "b"), "default": "c"}, "allowed choices"),
        ({"type": "money", "default": 1.234}, "at most 2 decimal places"),
        ({"type": "date", "max": "2020-12-31", "default": "2021-01-01"}, "on or before"),
    ],
)
def test_default_that_violates_its_own_constraints_is_reported(
    field: dict[str, Any], reason: str
) -> None:
    problem = only_problem(form_with({"key": "x", "label": label("X"), **field}))
    assert problem.field == "x"
    assert problem.message.startswith("the default ")
    assert reason in problem.message


def test_bad_json_reports_the_line_and_column_of_the_error() -> None:
    text = (
        '{\n  "title": {"fr": "A", "en": "B"},\n  "fields": [\n    {"key": "a" "type": "text"}\n]}'
    )
    problem = only_problem(text)
    assert problem.line == 4
    assert problem.message == "invalid JSON at line 4, column 17: Expecting ',' delimiter"


def test_json_key_given_twice_in_one_object_is_reported() -> None:
    text = '{"title": {"fr": "A", "en": "B"},\n "fields": [],\n "fields": []}'
    problem = only_problem(text)
    assert (problem.line, problem.message) == (3, "'fields' is given more than once")


def test_all_problems_of_a_file_are_reported_together_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        "{\n"
        '  "title": {"fr": "Qualifier"},\n'
        '  "fields": [\n'
        '    {"key": "kind", "type": "choise", "label": {"fr": "N", "en": "K"}},\n'
        '    {"key": "amount", "type": "money",\n'
        '     "min": "ten", "label": {"fr": "M", "en": "A"}},\n'
        '    {"key": "typename", "type": "text", "label": {"fr": "T", "en": "T"}}\n'
        "  ]\n"
        "}\n",
        encoding="utf-8",
    )
    with pytest.raises(FormDefinitionError) as caught:
        load_form_definition(path)

    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2: 'title' has no 'en' text",
        f"{path}:4: field 'kind': type 'choise' is unknown (did you mean 'choice'?); "
        "expected one of " + ", ".join(FIELD_TYPES),
        f"{path}:6: field 'amount': 'min' must be a number, got 'ten'",
        f"{path}:7: field 'typename': the key is reserved by the workflow engine",
    ]
    assert str(caught.value).startswith("4 problems in form definition:\n")


def test_missing_file_is_reported_as_a_problem(tmp_path: Path) -> None:
    with pytest.raises(FormDefinitionError) as caught:
        load_form_definition(tmp_path / "absent.json")
    assert caught.value.problems[0].message.startswith("cannot read the file")


def test_problems_of_a_definition_given_as_mapping_have_no_line() -> None:
    problem = only_problem(form_with({"key": "a", "type": "choise", "label": label("A")}))
    assert problem.line is None
    assert str(problem).startswith("form.json: field 'a': type 'choise'")


# --------------------------------------------------------------------------- submissions


def test_valid_submission_is_cleaned_to_python_types(qualify: FormDefinition) -> None:
    cleaned = validate_submission(
        qualify,
        {
            "kind": "complaint",
            "amount": "1250.5",
            "description": "  The parcel never arrived.  ",
            "reference": "REC-2024-001",
            "received_on": "2024-03-15",
            "satisfied": "non",
            "channels": ["web", "mail", "web"],
            "count": "3",
            "ratio": "0.25",
            "documents": [FILE_A, FILE_B],
            "proof": FILE_A,
        },
    )
    assert cleaned == {
        "kind": "complaint",
        "amount": Decimal("1250.50"),
        "description": "The parcel never arrived.",
        "reference": "REC-2024-001",
        "received_on": date(2024, 3, 15),
        "satisfied": False,
        "channels": ["mail", "web"],
        "count": 3,
        "ratio": 0.25,
        "documents": [FILE_A, FILE_B],
        "proof": FILE_A,
    }
    assert str(cleaned["amount"]) == "1250.50"
    assert type(cleaned["count"]) is int
    assert type(cleaned["ratio"]) is float


def test_native_python_values_are_accepted_as_is(qualify: FormDefinition) -> None:
    cleaned = validate_submission(
        qualify,
        {
            "kind": "complaint",
            "satisfied": True,
            "amount": Decimal("10"),
            "received_on": date(2024, 1, 2),
            "count": 4,
        },
    )
    assert cleaned["amount"] == Decimal("10.00")
    assert cleaned["received_on"] == date(2024, 1, 2)
    assert cleaned["satisfied"] is True


@pytest.mark.parametrize(
    ("sent", "answer"),
    [("yes", True), ("on", True), ("oui", True), ("True", True), ("no", False), ("non", False)],
)
def test_yes_no_accepts_what_html_forms_send(
    qualify: FormDefinition, sent: str, answer: bool
) -> None:
    cleaned = validate_submission(qualify, {"kind": "complaint", "satisfied": sent})
    assert cleaned["satisfied"] is answer


def test_yes_no_refuses_other_words(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {"kind": "complaint", "satisfied": "maybe"})
    assert errors == {"satisfied": ["Not a valid yes/no answer."]}


def test_missing_required_fields_are_each_reported(qualify: FormDefinition) -> None:
    assert errors_of(qualify, {}) == {
        "kind": ["This field is required."],
        "satisfied": ["This field is required."],
    }


def test_blank_answer_to_a_required_field_counts_as_missing(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {"kind": "  ", "satisfied": "yes"})
    assert errors == {"kind": ["This field is required."]}


def test_empty_string_for_an_optional_field_is_not_stored(qualify: FormDefinition) -> None:
    cleaned = validate_submission(
        qualify, {**VALID_SUBMISSION, "amount": "", "note": "", "channels": [], "proof": None}
    )
    assert cleaned == {"kind": "complaint", "satisfied": False}


def test_defaults_are_not_filled_in_but_offered_for_prefilling(qualify: FormDefinition) -> None:
    assert validate_submission(qualify, VALID_SUBMISSION) == {
        "kind": "complaint",
        "satisfied": False,
    }
    assert qualify.defaults() == {"agency": "Paris"}


def test_defaults_are_cleaned_to_python_types() -> None:
    form = parse_form_definition(
        form_with(
            {"key": "due", "type": "date", "default": "2024-05-01", "label": label("D")},
            {"key": "fee", "type": "money", "default": 12.5, "label": label("F")},
        ),
        "f.json",
    )
    assert form.defaults() == {"due": date(2024, 5, 1), "fee": Decimal("12.50")}


def test_unknown_field_is_refused(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {**VALID_SUBMISSION, "password": "x"})
    assert errors == {"password": ["Unknown field."]}


def test_read_only_field_is_refused(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {**VALID_SUBMISSION, "agency": "Lyon"})
    assert errors == {"agency": ["This field is read-only and cannot be submitted."]}


def test_choice_outside_the_list_is_refused(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {**VALID_SUBMISSION, "kind": "praise"})
    assert errors == {"kind": ["Not one of the allowed choices."]}


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        (["mail", "fax"], "Not one of the allowed choices."),
        (["mail", "phone", "web"], "Select at most 2 option(s)."),
        ("mail, phone", "Not one of the allowed choices."),
        (42, "Not a valid list of choices."),
    ],
)
def test_multi_choice_constraints_are_enforced(
    qualify: FormDefinition, channels: Any, message: str
) -> None:
    assert errors_of(qualify, {**VALID_SUBMISSION, "channels": channels}) == {"channels": [message]}


def test_multi_choice_minimum_is_enforced() -> None:
    form = parse_form_definition(
        form_with(
            {
                "key": "tags",
                "type": "multi_choice",
                "choices": choices("a", "b", "c"),
                "min_items": 2,
                "label": label("T"),
            }
        ),
        "f.json",
    )
    assert errors_of(form, {"tags": ["a"]}) == {"tags": ["Select at least 2 option(s)."]}


def test_text_that_breaks_several_rules_gets_every_message(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {**VALID_SUBMISSION, "reference": "ref " * 11})
    assert errors == {
        "reference": ["Must be at most 40 characters long.", "Does not have the expected format."]
    }


def test_text_shorter_than_the_minimum_is_refused(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {**VALID_SUBMISSION, "description": "Too short"})
    assert errors == {"description": ["Must be at least 10 characters long."]}


def test_text_must_be_a_string(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {**VALID_SUBMISSION, "reference": 123})
    assert errors == {"reference": ["Not a valid text."]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("count", "-1", "Must be at least 0."),
        ("count", 51, "Must be at most 50."),
        ("count", "2.5", "Must be a whole number."),
        ("count", True, "Not a valid number."),
        ("ratio", "lots", "Not a valid number."),
        ("ratio", "nan", "Not a valid number."),
        ("ratio", 1.5, "Must be at most 1."),
    ],
)
def test_number_constraints_are_enforced(
    qualify: FormDefinition, field: str, value: Any, message: str
) -> None:
    assert errors_of(qualify, {**VALID_SUBMISSION, field: value}) == {field: [message]}


def test_money_with_three_decimals_is_refused(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {**VALID_SUBMISSION, "amount": "12.345"})
    assert errors == {"amount": ["Must have at most 2 decimal places."]}


def test_money_with_trailing_zero_decimals_is_accepted(qualify: FormDefinition) -> None:
    cleaned = validate_submission(qualify, {**VALID_SUBMISSION, "amount": "12.500"})
    assert cleaned["amount"] == Decimal("12.50")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-0.01", "Must be at least 0."),
        ("100000.01", "Must be at most 100000."),
        ("12,50", "Not a valid amount."),
        ("1e3", "Not a valid amount."),
    ],
)
def test_money_constraints_are_enforced(qualify: FormDefinition, amount: str, message: str) -> None:
    assert errors_of(qualify, {**VALID_SUBMISSION, "amount": amount}) == {"amount": [message]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1999-12-31", "Must be on or after 2000-01-01."),
        ("2024-02-30", "Not a valid date (expected YYYY-MM-DD)."),
        ("15/03/2024", "Not a valid date (expected YYYY-MM-DD)."),
        (datetime(2024, 3, 15, 10, 0), "Not a valid date (expected YYYY-MM-DD)."),
    ],
)
def test_date_constraints_are_enforced(qualify: FormDefinition, value: Any, message: str) -> None:
    assert errors_of(qualify, {**VALID_SUBMISSION, "received_on": value}) == {
        "received_on": [message]
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("proof", "report.pdf", "Not a valid attachment reference."),
        ("proof", "A" * 64, "Not a valid attachment reference."),
        ("proof", [FILE_A], "Only one file is allowed."),
        ("documents", [FILE_A, "../etc/passwd"], "Not a valid attachment reference."),
        ("documents", [FILE_A, FILE_B, "c" * 64], "At most 2 file(s) are allowed."),
    ],
)
def test_file_attachment_ids_are_checked(
    qualify: FormDefinition, field: str, value: Any, message: str
) -> None:
    assert errors_of(qualify, {**VALID_SUBMISSION, field: value}) == {field: [message]}


def test_single_attachment_id_is_accepted_for_a_multiple_file_field(
    qualify: FormDefinition,
) -> None:
    cleaned = validate_submission(qualify, {**VALID_SUBMISSION, "documents": FILE_A})
    assert cleaned["documents"] == [FILE_A]


def test_submission_that_is_not_a_mapping_is_refused(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, ["kind"])  # type: ignore[arg-type]
    assert list(errors) == ["_schema"]


def test_validation_error_lists_each_field_readably(qualify: FormDefinition) -> None:
    with pytest.raises(FormValidationError) as caught:
        validate_submission(qualify, {"satisfied": "yes", "amount": "-1", "zzz": 1})
    assert str(caught.value) == (
        "Invalid submission:\n"
        "  kind: This field is required.\n"
        "  amount: Must be at least 0.\n"
        "  zzz: Unknown field."
    )


def test_error_messages_can_be_rendered_in_another_language(qualify: FormDefinition) -> None:
    errors = errors_of(qualify, {"satisfied": "yes", "amount": "-1"})
    french = {"required": "Ce champ est obligatoire.", "min_value": "Au moins {min}."}
    assert [m.translate(french) for m in errors["kind"]] == ["Ce champ est obligatoire."]  # type: ignore[attr-defined]
    assert [m.translate(french) for m in errors["amount"]] == ["Au moins 0."]  # type: ignore[attr-defined]


def test_schema_class_is_built_once_per_definition(qualify: FormDefinition) -> None:
    assert qualify.schema_class is qualify.schema_class
    schema = qualify.schema()
    assert isinstance(schema, Schema)
    assert isinstance(schema, qualify.schema_class)
    assert schema.load(VALID_SUBMISSION) == {"kind": "complaint", "satisfied": False}


def test_keys_named_like_schema_members_still_work() -> None:
    form = parse_form_definition(
        form_with(
            {"key": "load", "type": "text", "label": label("L")},
            {"key": "Meta", "type": "text", "label": label("M")},
            {"key": "fields", "type": "yes_no", "label": label("F")},
        ),
        "f.json",
    )
    cleaned = validate_submission(form, {"load": "x", "Meta": "y", "fields": "yes"})
    assert cleaned == {"load": "x", "Meta": "y", "fields": True}
