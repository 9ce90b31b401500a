"""Renderings of a ``Trace``: a plain table, a worked example in Markdown + LaTeX, JSON.

Every number printed here is read from the trace (hence from the caches that
training uses); none is typed in. Scalars print as numbers, vectors and
matrices as ``bmatrix``. Inputs and weights print with 4 significant digits,
computed values with 3 decimals, as hand calculations do.

Modules: ``tex`` (numbers in LaTeX), ``notation`` (the hand notation and the weight
gradients written in it), ``table`` (the table and JSON), ``markdown`` (the worked example),
``html`` (the explorable page, its script in ``page.js``).
"""

from .html import to_html
from .markdown import render_markdown
from .notation import WeightGrad, weight_grads
from .table import render_json, render_table

__all__ = ["WeightGrad", "render_json", "render_markdown", "render_table", "to_html", "weight_grads"]
