"""No test bounds a duration: timings belong in `bench/` (`make bench-pipeline`), never in `tests/`.

CI runs on a shared two-core machine, so a test that bounds a duration fails when the machine is busy although every
functional check holds. This test reads every Python file under `tests/` as a syntax tree and fails naming
file:line for each assertion (an `assert` statement, or a call of an `assert*` function) whose condition

- reads a clock (`time.time`, `time.monotonic`, `time.perf_counter`, ... however imported),
- uses a name bound from a clock reading, directly or through other names (`elapsed = time.monotonic() - started`),
- compares a name that reads as a duration (`elapsed`, `took`, `duration`, `waited`, `seconds`, `..._s`) by order,
- or asserts on a wait given a timeout (`assert event.wait(5)`, `assert process.wait(timeout=60) == 0`).

A wait that only guards against a hung process (`process.wait(timeout=...)` outside an assert, raising when it ends)
is allowed; it must be generous enough that only a hang reaches it.
"""

from __future__ import annotations

import ast
import re
import textwrap
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
CLOCK_MODULES = {"time": {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
                          "process_time", "process_time_ns", "thread_time", "thread_time_ns"},
                 "timeit": {"default_timer"}}
DURATION_NAME = re.compile(r"(^|_)(elapsed|took|duration|durations|waited|seconds|secs|runtime|wall)(_|$)|_s$")
TIMEOUT_KEYWORDS = {"timeout", "timeout_s", "timeout_seconds"}
WAIT_METHODS = {"wait", "wait_for"}
ORDERINGS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@dataclass(frozen=True)
class Finding:
    """One assertion that bounds wall-clock time: where it is and why it counts."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class _Clocks:
    """What names a module's imports give the clock functions: `time.monotonic`, `t.perf_counter`, `monotonic`."""

    def __init__(self, tree: ast.Module) -> None:
        self.modules: dict[str, str] = {}  # local name -> clock module
        self.functions: set[str] = set()  # local names of clock functions
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in CLOCK_MODULES:
                        self.modules[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module in CLOCK_MODULES:
                for alias in node.names:
                    if alias.name in CLOCK_MODULES[node.module]:
                        self.functions.add(alias.asname or alias.name)

    def is_clock_call(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in self.functions
        return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in self.modules and func.attr in CLOCK_MODULES[self.modules[func.value.id]])


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _targets(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _clock_tainted_names(scope: ast.AST, clocks: _Clocks) -> set[str]:
    """Names in `scope` bound (by =, +=, :=, annotated =) from a clock reading or from names so bound, to a fixpoint."""
    bindings: list[tuple[set[str], ast.AST]] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            bindings.append((set().union(*(_targets(t) for t in node.targets)), node.value))
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            bindings.append((_targets(node.target), node.value))
    tainted: set[str] = set()
    changed = True
    while changed:
        changed = False
        for targets, value in bindings:
            if targets - tainted and (any(clocks.is_clock_call(n) for n in ast.walk(value)) or _names(value) & tainted):
                tainted |= targets
                changed = True
    return tainted


def _label(node: ast.AST) -> str | None:
    """The name a value goes by: a variable, an attribute, or a string key (`row["elapsed_s"]`)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    return None


def _duration_named(node: ast.AST) -> str | None:
    """The first name in `node` that reads as a duration (elapsed, took, seconds, ..._s), or None."""
    for part in ast.walk(node):
        name = _label(part)
        if name and DURATION_NAME.search(name.lower()):
            return name
    return None


def _why(condition: ast.AST, tainted: set[str], clocks: _Clocks, ordered: bool = False) -> str | None:
    """Why an asserted condition bounds wall-clock time, or None when it does not (`ordered`: the condition is an
    argument of an ordering assertion such as assertLess or assert_array_less)."""
    for node in ast.walk(condition):
        if clocks.is_clock_call(node):
            return f"asserts on a clock reading ({ast.unparse(node)})"
    if used := sorted(_names(condition) & tainted):
        return f"asserts on {', '.join(used)}, measured with a clock"
    if ordered and (name := _duration_named(condition)):
        return f"bounds the duration {name}"
    for node in ast.walk(condition):
        ordering = isinstance(node, ast.Compare) and any(isinstance(op, ORDERINGS) for op in node.ops)
        if ordering and (name := _duration_named(node)):
            return f"bounds the duration {name}"
        if isinstance(node, ast.Call):
            keywords = {k.arg for k in node.keywords} & TIMEOUT_KEYWORDS
            waits = isinstance(node.func, ast.Attribute) and node.func.attr in WAIT_METHODS and node.args
            if keywords or waits:
                return f"asserts on a wait with a timeout ({ast.unparse(node)})"
    return None


def _assertions(tree: ast.AST) -> Iterator[tuple[ast.AST, list[ast.AST], bool]]:
    """(node, conditions, ordered) of every assert statement and every call of a function named assert* / assert_*
    (ordered: an assertion of order between its arguments, such as assertLess or assert_array_less)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            yield node, [node.test], False
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name.lower().startswith("assert"):
                ordered = any(word in name.lower() for word in ("less", "greater"))
                yield node, [*node.args, *(k.value for k in node.keywords)], ordered


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every function in the module, then the module: names are followed within the function they are bound in."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node
    yield tree


def wall_clock_assertions(source: str, path: str = "<snippet>") -> list[Finding]:
    """Python source -> every assertion in it that bounds wall-clock time (sorted by line, one per assertion)."""
    tree = ast.parse(source)
    clocks = _Clocks(tree)
    module_names = _clock_tainted_names(ast.Module(body=[s for s in tree.body if not isinstance(
        s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))], type_ignores=[]), clocks)
    found: dict[int, Finding] = {}
    for scope in _scopes(tree):
        tainted = module_names | (_clock_tainted_names(scope, clocks) if scope is not tree else set())
        for node, conditions, ordered in _assertions(scope):
            reason = next((r for c in conditions if (r := _why(c, tainted, clocks, ordered))), None)
            if reason and node.lineno not in found:
                found[node.lineno] = Finding(path, node.lineno, reason)
    return sorted(found.values(), key=lambda f: f.line)


def test_no_test_bounds_a_duration() -> None:
    findings = [finding for path in sorted(TESTS_DIR.rglob("*.py"))
                for finding in wall_clock_assertions(path.read_text(encoding="utf-8"),
                                                     str(path.relative_to(TESTS_DIR.parent)))]
    assert not findings, ("wall-clock assertions in tests (move timings to bench/):\n"
                          + "\n".join(str(f) for f in findings))


# --- the detector itself --------------------------------------------------------------------------------------

SAMPLES = tomllib.loads((Path(__file__).parent / "wall_clock_samples.toml").read_text(encoding="utf-8"))
CAUGHT, ALLOWED = SAMPLES["caught"], SAMPLES["allowed"]  # code it must flag, and code it must let pass


@pytest.mark.parametrize("case", sorted(CAUGHT))
def test_the_detector_catches(case: str) -> None:
    findings = wall_clock_assertions(textwrap.dedent(CAUGHT[case]))
    assert len(findings) == 1, findings
    assert str(findings[0]).startswith("<snippet>:")


@pytest.mark.parametrize("case", sorted(ALLOWED))
def test_the_detector_allows(case: str) -> None:
    assert wall_clock_assertions(textwrap.dedent(ALLOWED[case])) == []


def test_a_finding_names_the_file_and_line_of_the_assert() -> None:
    source = "import time\n\nstarted = time.time()\nx = 1\nassert time.time() - started < 1\n"
    assert [str(f) for f in wall_clock_assertions(source, "tests/x.py")] == [
        "tests/x.py:5: asserts on a clock reading (time.time())"]
