"""Form-js schemas: checking them at deploy time and validating submissions on the server.

The browser renders forms with the form-js viewer; the server never trusts what it posts and
re-validates against the same schema (see validate.py). FEEL conditions are evaluated by a small,
safe evaluator of our own (feel.py).
"""
from .feel import FeelError, evaluate, parse
from .schema import Field, FormSchemaError, check_schema, form_fields, load_schema
from .validate import validate_submission

__all__ = ["FormSchemaError", "Field", "check_schema", "load_schema", "form_fields", "validate_submission",
           "FeelError", "evaluate", "parse"]
