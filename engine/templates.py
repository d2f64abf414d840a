"""Sandboxed Jinja2 rendering of the placeholders inside action configs.

Every string of a JSON value is a template: ``"Follow up with {{lead.company_name}}"``.
Besides the caller's context, templates see ``today`` (``{{today+2}}``, ``{{today-30}}``
give ISO dates) and ``now`` (ISO datetime, seconds precision). A string that is exactly
one placeholder keeps the value's type (``"{{lead.id}}"`` renders to an int); dates
and datetimes always come out as ISO strings, None inside text as an empty string.

Rendering runs in Jinja's immutable sandbox. Undefined variables raise TemplateError
naming them by their dotted path; so does anything the sandbox forbids (underscored
attributes, mutating calls, ranges over 10,000 items, oversized ``*`` and ``**`` results).

A rendering has limits (``Limits``): the time it may take and the characters its templates
may produce, together. Over either, it stops with a TemplateError naming the template that
crossed it; the clock is read at every loop step and every call, the output counted as it
is produced, so a template is stopped well before it could fill the memory.
"""

import functools
import time
from collections import ChainMap
from collections.abc import MutableSequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.environment import Template
from jinja2.meta import find_undeclared_variables
from jinja2.runtime import Undefined, missing
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import jsondoc
from .exceptions import TemplateError
from .masking import Masked

__all__ = [
    "MAX_RANGE",
    "Day",
    "Limits",
    "TemplateError",
    "is_template",
    "lookups",
    "render",
    "validate",
    "variables",
]

ROOT_PATH = "<root>"
MAX_RANGE = 10_000
MAX_REPEATED_LENGTH = 100_000
MAX_POWER_BITS = 10_000
BUILTIN_NAMES = frozenset({"today", "now"})
_TEMPLATE_MARKERS = ("{{", "{%", "{#")
PACED_FILTER = "workflow_paced"
TIMESPEC = "seconds"
"""Datetimes render to the second: what a person reads in a note or a subject."""
"""The filter put around every loop's sequence, which reads the clock at each step."""


@dataclass(frozen=True)
class Limits:
    """What one ``render`` may spend: milliseconds, and characters of template output."""

    max_render_ms: int = 2000
    max_output_chars: int = 100_000


class _LimitExceeded(Exception):
    """A rendering went over its Limits; rendering turns it into a TemplateError with the path."""


class _Budget:
    """The time and output left to one ``render``."""

    __slots__ = ("deadline", "limits", "output_left")

    def __init__(self, limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_render_ms / 1000
        self.output_left = limits.max_output_chars

    def check_time(self):
        if time.monotonic() > self.deadline:
            raise _LimitExceeded(f"rendering takes longer than the limit of {self.limits.max_render_ms} ms")

    def spend(self, characters):
        self.output_left -= characters
        if self.output_left < 0:
            raise _LimitExceeded(
                f"the output is longer than the limit of {self.limits.max_output_chars} characters"
            )
        self.check_time()


_BUDGET = ContextVar("workflow_template_budget")
"""The budget of the ``render`` under way in this thread: templates only run inside one."""


def _check_time():
    _BUDGET.get().check_time()


def _paced(sequence):
    for item in sequence:
        _check_time()
        yield item


def _output_size(value, limit):
    """Characters ``value`` holds as JSON text, counted until over ``limit``."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple, dict)):
        size = 0
        for item in value.items() if isinstance(value, dict) else value:
            size += _output_size(item, limit - size) + 1
            if size > limit:
                break
        return size
    return len(str(value))


class Day(date):
    """``today`` in templates: adding or subtracting an int shifts by that many days."""

    def __add__(self, other):
        if isinstance(other, int):
            other = timedelta(days=other)
        return super().__add__(other)

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, int):
            other = timedelta(days=other)
        return super().__sub__(other)


def _tracked_error(error_class, obj, name, message):
    error = error_class(message)
    error.undefined_obj = obj
    error.undefined_name = name
    return error


class _TrackedUndefined(StrictUndefined):
    """StrictUndefined whose error remembers the lookup that came back empty.

    Jinja only knows the last segment of a failed lookup (``emial`` in
    ``lead.owner.emial``); the container it was looked up in lets the renderer find
    the full dotted path in the template.
    """

    __slots__ = ()

    def __init__(self, hint=None, obj=missing, name=None, exc=UndefinedError):
        super().__init__(hint, obj, name, exc)
        # Jinja raises `self._undefined_exception(message)` on every use of the value.
        self._undefined_exception = functools.partial(_tracked_error, exc, obj, name)


def _bounded_range(*args):
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range of {len(numbers)} items is over the limit of {MAX_RANGE}")
    return numbers


def _finalize(value):
    return "" if value is None else jsondoc.iso(value, TIMESPEC)


def _repeated_length(left, right):
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            return len(sequence) * count
    return 0


def _power_bits(base, exponent):
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        return base.bit_length() * exponent
    return 0


class _Environment(ImmutableSandboxedEnvironment):
    # Intercepted operators are also kept out of Jinja's compile-time constant folding,
    # so `{{ 'x' * 10**10 }}` cannot exhaust memory even while merely validating.
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "*" and _repeated_length(left, right) > MAX_REPEATED_LENGTH:
            raise SecurityError(f"repeating would build over {MAX_REPEATED_LENGTH} items")
        if operator == "**" and _power_bits(left, right) > MAX_POWER_BITS:
            raise SecurityError(f"power would exceed {MAX_POWER_BITS} bits")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        # Macros may call each other without a loop: every call reads the clock too.
        _check_time()
        return super().call(__context, __obj, *args, **kwargs)

    def is_safe_attribute(self, obj, attr, value):
        # Jinja's immutable sandbox misses these two list mutators.
        if isinstance(obj, MutableSequence) and attr in ("clear", "pop"):
            return False
        # A masked value offers a string's methods, which all see its mask, and nothing else.
        if isinstance(obj, Masked) and not hasattr(str, attr):
            return False
        return super().is_safe_attribute(obj, attr, value)


_ENVIRONMENT = _Environment(
    autoescape=False,
    keep_trailing_newline=True,
    undefined=_TrackedUndefined,
    finalize=_finalize,
)
_ENVIRONMENT.globals["range"] = _bounded_range
_ENVIRONMENT.filters[PACED_FILTER] = _paced
# lipsum(n) writes n paragraphs: nothing a workflow needs, and an easy way to stall.
del _ENVIRONMENT.globals["lipsum"]


@dataclass(frozen=True)
class _Compiled:
    ast: nodes.Template
    template: Template | None = None
    expression: Template | None = None
    """For a lone placeholder: a template that stores the value in its ``result`` variable."""


def _single_expression(ast):
    """The expression of a template that is exactly one ``{{ ... }}``, else None."""
    if len(ast.body) == 1 and isinstance(ast.body[0], nodes.Output):
        (output,) = ast.body
        if len(output.nodes) == 1 and not isinstance(output.nodes[0], nodes.TemplateData):
            return output.nodes[0]
    return None


def _pace_loops(ast):
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, PACED_FILTER, [], [], None, None, lineno=loop.lineno)
    return ast


@functools.lru_cache(maxsize=1024)
def _compile(source):
    ast = _pace_loops(_ENVIRONMENT.parse(source))
    expression = _single_expression(ast)
    if expression is None:
        return _Compiled(ast, template=_ENVIRONMENT.from_string(ast))
    # Evaluated as an expression, the placeholder gives back the value itself rather
    # than its text; this is what Environment.compile_expression builds from source.
    assign = nodes.Assign(nodes.Name("result", "store"), expression, lineno=expression.lineno)
    return _Compiled(ast, expression=_ENVIRONMENT.from_string(nodes.Template([assign], lineno=1)))


def is_template(value):
    """Whether ``value`` is a string holding Jinja markup."""
    return isinstance(value, str) and any(marker in value for marker in _TEMPLATE_MARKERS)


def _format_path(steps):
    text = ""
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text or ROOT_PATH


def _strings(value, steps=()):
    """Every (path steps, string) inside a JSON value; list indexes are ints."""
    if isinstance(value, str):
        yield steps, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*steps, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, (*steps, index))


def _compiled_or_raise(source, steps):
    try:
        return _compile(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"syntax error on line {exc.lineno}: {exc.message}", _format_path(steps)
        ) from exc
    except (RecursionError, SyntaxError):
        # Jinja parses by recursion and Python compiles nested blocks up to a fixed depth
        # (a SyntaxError on the generated code): a template past either is refused as such.
        raise TemplateError("nested too deeply to compile", _format_path(steps)) from None


# --- naming what failed -------------------------------------------------------------


def _lookup_chain(node):
    """``(root, [(kind, key), ...])`` for ``root.a['b']...``, or None for other nodes."""
    steps = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            steps.append(("attribute", node.attr))
        elif isinstance(node.arg, nodes.Const):
            steps.append(("item", node.arg.value))
        else:
            return None
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    return node.name, steps[::-1]


def _dotted(root, steps):
    text = root
    for kind, key in steps:
        text += f".{key}" if kind == "attribute" and isinstance(key, str) else f"[{key!r}]"
    return text


def _walk_until(root, steps, variables, failed_container, failed_name):
    """Dotted name of the step of this chain that failed, found by replaying lookups."""
    value = variables.get(root, missing)
    if value is missing:
        return root if failed_container is missing and failed_name == root else None
    for index, (kind, key) in enumerate(steps):
        if value is failed_container and key == failed_name:
            return _dotted(root, steps[: index + 1])
        if isinstance(value, Undefined):
            return None
        try:
            lookup = _ENVIRONMENT.getattr if kind == "attribute" else _ENVIRONMENT.getitem
            value = lookup(value, key)
        except Exception:
            return None
    return None


def _failed_variable(ast, variables, error):
    """Full dotted name of the lookup behind an undefined or forbidden value, if known."""
    failed_name = getattr(error, "undefined_name", None)
    if failed_name is None:
        return None
    failed_container = getattr(error, "undefined_obj", missing)
    chains = [
        chain
        for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name))
        if (chain := _lookup_chain(node)) is not None
    ]
    for root, steps in chains:
        name = _walk_until(root, steps, variables, failed_container, failed_name)
        if name is not None:
            return name
    # Loop variables and other template locals cannot be replayed: match on the name.
    for root, steps in chains:
        if root == failed_name:
            return root
        for index, (_kind, key) in enumerate(steps):
            if key == failed_name:
                return _dotted(root, steps[: index + 1])
    return str(failed_name)


# --- rendering ----------------------------------------------------------------------


def _plain(value):
    if isinstance(value, Undefined):
        str(value)  # raises the tracked UndefinedError
    if isinstance(value, date):
        return jsondoc.iso(value, TIMESPEC)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _render_text(source, variables, steps):
    if not is_template(source):
        return source
    compiled = _compiled_or_raise(source, steps)
    budget = _BUDGET.get()
    try:
        if compiled.expression is not None:
            context = compiled.expression.new_context(variables, shared=True)
            for _event in compiled.expression.root_render_func(context):
                pass
            result = context.vars["result"]
            budget.spend(_output_size(result, budget.output_left))
            return _plain(result)
        template = compiled.template
        context = template.new_context(variables, shared=True)
        output = []
        for chunk in template.root_render_func(context):
            budget.spend(len(chunk))
            output.append(chunk)
        return _ENVIRONMENT.concat(output)
    except _LimitExceeded as exc:
        raise TemplateError(f"stopped: {exc}", _format_path(steps)) from exc
    except SecurityError as exc:
        name = _failed_variable(compiled.ast, variables, exc)
        raise TemplateError(f"forbidden: {exc.message}", _format_path(steps), name) from exc
    except UndefinedError as exc:
        name = _failed_variable(compiled.ast, variables, exc)
        message = f"undefined variable {name!r}" if name else exc.message
        raise TemplateError(message, _format_path(steps), name) from exc
    except Exception as exc:
        raise TemplateError(f"cannot render: {exc}", _format_path(steps)) from exc


def _render_value(value, variables, steps):
    if isinstance(value, str):
        return _render_text(value, variables, steps)
    if isinstance(value, dict):
        return {
            key: _render_value(item, variables, (*steps, str(key))) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_render_value(item, variables, (*steps, index)) for index, item in enumerate(value)]
    return value


def render(value, context, *, today=None, now=None, limits=None):
    """Render every string inside the JSON ``value``; keys and non-strings stay as they are.

    ``today`` (a date, default ``date.today()``) and ``now`` (a datetime, default
    ``datetime.now()``) are the caller's, who knows the user's time zone. ``limits``
    (default ``Limits()``) bound the rendering of the whole value.
    """
    today = today or date.today()
    builtins = {
        "today": Day(today.year, today.month, today.day),
        "now": (now or datetime.now()).replace(microsecond=0),
    }
    # A shared, chained context: Jinja then looks names up one at a time instead of
    # copying the whole context, which may be a lazy view of a record's fields.
    variables = ChainMap(builtins, context, _ENVIRONMENT.globals)
    token = _BUDGET.set(_Budget(limits or Limits()))
    try:
        return _render_value(value, variables, ())
    finally:
        _BUDGET.reset(token)


def validate(value):
    """Raise TemplateError, with the string's path, unless every string parses."""
    for steps, text in _strings(value):
        if is_template(text):
            _compiled_or_raise(text, steps)


def variables(value):
    """Sorted names of the context variables the strings of ``value`` use.

    Names that rendering provides itself (``today``, ``now``, Jinja globals) are left out.
    """
    names = set()
    for steps, text in _strings(value):
        if is_template(text):
            names |= find_undeclared_variables(_compiled_or_raise(text, steps).ast)
    return sorted(names - BUILTIN_NAMES - _ENVIRONMENT.globals.keys())


def lookups(value, name):
    """Every use of the context variable ``name`` in the strings of ``value``, in order.

    Yields ``(path, key)``: the string's path and what the use looks up in ``name``
    (``"enrich"`` for ``steps.enrich.output`` or ``steps["enrich"]``), None when ``name``
    is used whole or looked up by a computed key. Raise TemplateError for a string that
    does not parse.
    """
    for steps, text in _strings(value):
        if not is_template(text):
            continue
        ast = _compiled_or_raise(text, steps).ast
        keyed = set()
        # find_all walks parents before children: a keyed lookup is met before its name.
        for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
            if isinstance(node, nodes.Name):
                if node.name == name and node.ctx == "load" and id(node) not in keyed:
                    yield _format_path(steps), None
                continue
            target = node.node
            if not (isinstance(target, nodes.Name) and target.name == name and target.ctx == "load"):
                continue
            keyed.add(id(target))
            if isinstance(node, nodes.Getattr):
                yield _format_path(steps), node.attr
            elif isinstance(node.arg, nodes.Const):
                yield _format_path(steps), node.arg.value
            else:
                yield _format_path(steps), None
