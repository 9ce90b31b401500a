"""The examples in the library's docstrings run as written and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import recurrent

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(recurrent.__path__, "recurrent.") if not m.name.endswith("__main__")
)  # importing __main__ runs the command line


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # a module of an optional extra that is not installed
        pytest.skip(f"{name} needs {exc.name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples in {name} failed"


def test_the_examples_are_found():
    finder = doctest.DocTestFinder()
    found = sum(
        len(t.examples)
        for name in (
            "recurrent.activations",
            "recurrent.forecast.metrics",
            "recurrent.sequential",
            "recurrent.gradcheck",
            "recurrent.layers.recurrent",
        )
        for t in finder.find(importlib.import_module(name))
    )
    assert found >= 12
