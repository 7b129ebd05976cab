"""The modules whose work is done by an action plugin on the controller hold only their documentation: each
documents exactly the options its action plugin validates (names, required), so ansible-doc tells the truth."""

import ast
import importlib
import inspect

import pytest
import yaml

DOC_ONLY = ["benchmark_report", "campaign_report", "run_record", "sft_wait"]
PACKAGE = "ansible_collections.spectrumx.h200_benchmark.plugins."


def action_argument_spec(action):
    """``{option: required}`` of the argument_spec the action plugin passes to validate_argument_spec."""
    tree = ast.parse(inspect.getsource(action))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "validate_argument_spec":
            (spec,) = [k.value for k in node.keywords if k.arg == "argument_spec"]
            options = {}
            for key, value in zip(spec.keys, spec.values, strict=True):
                settings = dict(zip([k.value for k in value.keys], value.values, strict=True))
                required = settings.get("required")
                options[key.value] = isinstance(required, ast.Constant) and required.value is True
            return options
    raise AssertionError("%s calls no validate_argument_spec" % action.__name__)


@pytest.mark.parametrize("name", DOC_ONLY)
def test_documented_options_are_the_actions_arguments(name):
    module = importlib.import_module(PACKAGE + "modules." + name)
    spec = action_argument_spec(importlib.import_module(PACKAGE + "action." + name))
    documentation = yaml.safe_load(module.DOCUMENTATION)
    assert documentation["module"] == name
    options = documentation["options"]
    assert set(options) == set(spec)
    assert {k for k, v in options.items() if v.get("required")} == {k for k, required in spec.items() if required}
    assert yaml.safe_load(module.EXAMPLES) and yaml.safe_load(module.RETURN)
