"""The house's layout: every import of the package's own modules, including those inside functions,
read from the source; no circle, and no arrow from a lower layer of the house to a higher one."""

import ast
from pathlib import Path

import recurrent

ROOT = Path(recurrent.__file__).parent

# The layers, lowest first: a module may import its own layer and those below, never above.
LAYERS = [
    ("_version", "_checks", "_threads", "activations", "safefiles"),
    ("cells",),
    ("layers",),
    ("losses", "optim", "store", "sequential", "checkpoint", "train", "gradcheck"),
    ("data", "datasets", "classic", "handwork", "trace", "explain", "plot", "interop"),
    ("forecast",),
    ("cli", "__main__", ""),
]


def modules() -> dict:
    """module name (without ``recurrent.``) -> its file."""
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def imports(mods: dict) -> dict:
    """module -> the package's modules it imports anywhere in its source."""
    edges = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - node.level + 1] if node.level > 1 else base
                full = ".".join([*base, *([node.module] if node.module else [])])
                for alias in node.names:
                    sub = f"{full}.{alias.name}".strip(".")
                    target = sub if sub in mods else full
                    if target in mods and target != name:
                        found.add(target)
            elif isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for n in names:
                    if n == "recurrent" or n.startswith("recurrent."):
                        target = n.removeprefix("recurrent").lstrip(".")
                        if target in mods and target != name:
                            found.add(target)
        edges[name] = found
    return edges


def layer_of(name: str) -> int:
    top = name.split(".")[0]
    for k, members in enumerate(LAYERS):
        if top in members:
            return k
    raise AssertionError(f"module recurrent.{name} is in no layer of the house: add it to LAYERS")


def test_no_import_runs_in_a_circle():
    edges = imports(modules())
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    assert not circles, f"imports that run in a circle: {circles}"


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    edges = imports(modules())
    up = [
        f"recurrent.{a} (layer {layer_of(a)}) imports recurrent.{b} (layer {layer_of(b)})"
        for a, targets in sorted(edges.items())
        for b in sorted(targets)
        if layer_of(b) > layer_of(a)
    ]
    assert not up, "\n".join(up)


def test_every_public_definition_has_a_docstring():
    """help() on anything public says what it is: every public function, class and method of the
    public modules has a docstring."""
    missing = []
    for name, path in sorted(modules().items()):
        if any(part.startswith("_") for part in name.split(".") if part):
            continue
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
                continue
            inner = [m for m in node.body if isinstance(m, ast.FunctionDef)] if isinstance(node, ast.ClassDef) else []
            for item, qual in [(node, node.name)] + [(m, f"{node.name}.{m.name}") for m in inner]:
                if not item.name.startswith("_") and not ast.get_docstring(item):
                    missing.append(f"recurrent.{name}.{qual}")
    assert not missing, "no docstring: " + ", ".join(missing)


def test_no_module_is_over_330_lines_but_the_numba_kernels():
    """Long modules are split where a concept ends; the numba kernels stay one file on purpose."""
    long = {name: n for name, p in modules().items() if (n := len(p.read_text().splitlines())) > 330}
    assert set(long) <= {"cells._fused"}, long


def test_the_package_imports_its_own_modules_at_the_top_only():
    """An import of the package's own modules inside a function hides an arrow (or a circle) from the reader:
    imports inside functions are for optional third-party packages alone, and for the numba kernels, which
    import numba and fall back to NumPy where it cannot run (``cells.backend._load``)."""
    inside = []
    for name, path in modules().items():
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                own = (
                    isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("recurrent"))
                ) or (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "recurrent" for a in node.names))
                if own:
                    inside.append(f"{name}:{node.lineno}")
    assert {i.split(":")[0] for i in inside} <= {"cells.backend"}, inside
