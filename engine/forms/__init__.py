"""Forms: JSON form definitions (one per user task, referenced from BPMN by file name), read
with every problem at once, and the checks and conversions of what people submit into them."""

from engine.forms.definitions import (
    DEFAULT_CURRENCY,
    FIELD_TYPES,
    RESERVED_KEYS,
    Choice,
    FormDefinition,
    FormDefinitionError,
    FormField,
    FormProblem,
    FormValidationError,
    localized,
    validate_submission,
)
from engine.forms.parser import load_form_definition, parse_form_definition
from engine.forms.values import MESSAGES, ErrorMessage

__all__ = [
    "DEFAULT_CURRENCY",
    "FIELD_TYPES",
    "MESSAGES",
    "RESERVED_KEYS",
    "Choice",
    "ErrorMessage",
    "FormDefinition",
    "FormDefinitionError",
    "FormField",
    "FormProblem",
    "FormValidationError",
    "load_form_definition",
    "localized",
    "parse_form_definition",
    "validate_submission",
]
