"""edXML (QCVN 102:2016) packages: the model, a hardened parser, a builder and the validation rules.

Nothing here needs Flask: the parser and the rules take plain bytes and values, so the exchange pipeline,
the CLI and the tests call them the same way.
"""

from eoffice.exchange.edxml.build import build_package
from eoffice.exchange.edxml.model import NS, DocumentPackage, EdxmlError, Problem, StatusPackage
from eoffice.exchange.edxml.parse import DEFAULT_MAX_BYTES, parse_package
from eoffice.exchange.edxml.validate import validate_package

__all__ = ["NS", "DEFAULT_MAX_BYTES", "DocumentPackage", "EdxmlError", "Problem", "StatusPackage",
           "build_package", "parse_package", "validate_package"]
