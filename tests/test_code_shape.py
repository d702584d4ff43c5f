"""Rules for product code (issue 9): no module in oncall/ over 400 lines, no function
over 60, so that each stays readable in one sitting; no test-only switch."""

from __future__ import annotations

import ast
from pathlib import Path

PRODUCT = Path(__file__).resolve().parent.parent / "oncall"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    found = sorted(PRODUCT.rglob("*.py"))
    assert len(found) > 20, found  # the walk really sees the package
    return found


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PRODUCT)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_over_60_lines():
    long = {}
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # From the first decorator: a long decorator argument is part of the function.
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = node.end_lineno - first + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{p.relative_to(PRODUCT)}:{node.lineno} {node.name}"] = lines
    assert long == {}



def test_product_code_reads_no_test_only_environment_variable():
    """Issue 9 item 8: tests choose their doubles (fixtures replacing ``make_pager``, a
    local server behind ``ONCALL_TWILIO_BASE_URL``); no switch in the product."""
    found = [str(p.relative_to(PRODUCT)) for p in _modules() if "ONCALL_TEST_" in p.read_text(encoding="utf-8")]
    assert found == []
