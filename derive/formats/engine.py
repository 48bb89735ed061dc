"""The templates' sandboxed Jinja environment that templated formats (derive.formats.base.TemplatedFormat) render
in, and the rendering of their templates: a sheet, its snippets, a notebook's fragment.

Each templated format has one typesetter (prose escaped, maths printed its own way) and one set of templates;
the template context is built in derive.formats.context, and templates do layout, never maths. A document is
rendered in a format named by the user through derive.formats.rendering.
"""

from __future__ import annotations

import functools
import hashlib
import os
import traceback
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from ..errors import DeriveError
from ..limits import TEMPLATE_TIME_LIMIT, OutOfTime, time_limit
from . import context
from .format import template_folders


class TemplateError(DeriveError):
    """A template failed to render: names the template and the line. Exit 2 when the user's
    --templates were in play (the likely culprit), else 1."""


# --- templates -----------------------------------------------------------------------------

def template_dirs() -> list[Path]:
    """The built-in templates: inside the installed package, or the source tree's top-level folder."""
    here = Path(__file__).resolve().parent.parent
    return [p for p in (here / "templates", here.parent / "templates") if p.is_dir()]


def _user_dirs(templates) -> tuple[str, ...]:
    return tuple(str(Path(d).resolve()) for d in template_folders(templates))


MAX_TEMPLATE_FILES = 2000           # files in the user's template folders hashed at most ...
MAX_TEMPLATE_BYTES = 64 << 20       # ... and bytes: beyond either, a PDF shares no cached TeX state


def templates_origin(templates) -> str | None:
    """What the TeX cache knows the templates in play by (derive.texformat keys a dumped preamble and the
    auxiliary files kept beside it by this): 'builtin' for derive's own; else a SHA-256 of every file in
    the user's folders (their paths, names and bytes), so that nothing a run under other templates left,
    or under these before they were edited, seeds this one. None (each document on its own) for folders too
    large to hash or that cannot be read."""
    user = _user_dirs(templates)
    if not user:
        return "builtin"
    digest, count, size = hashlib.sha256(), 0, 0
    try:
        for top in user:
            digest.update(f"folder {top}\0".encode("utf-8", "surrogateescape"))
            for path in _files(top):
                data = path.read_bytes()
                count, size = count + 1, size + len(data)
                if count > MAX_TEMPLATE_FILES or size > MAX_TEMPLATE_BYTES:
                    return None
                digest.update(f"{path.relative_to(top)}\0{len(data)}\0".encode("utf-8", "surrogateescape") + data)
    except (OSError, ValueError):
        return None
    return "templates " + digest.hexdigest()


def _files(top: str):
    """The files under a folder, in a fixed order, symbolic links followed (ValueError past
    MAX_TEMPLATE_FILES folders: a loop of links ends there)."""
    def fail(err):
        raise err
    for count, (root, dirs, files) in enumerate(os.walk(top, onerror=fail, followlinks=True)):
        if count >= MAX_TEMPLATE_FILES:
            raise ValueError("too many folders")
        dirs.sort()
        for name in sorted(files):
            yield Path(root) / name


class GuardedTemplate(jinja2.Template):
    """A template whose ``~`` is guarded as ``*`` is. Jinja compiles ``a ~ b`` to a call of str_join (markup_join
    where HTML is escaped), names that its compiled code imports into the template's own namespace: they are
    replaced there, whether the code was compiled now or read from the bytecode cache."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        for name in ("str_join", "markup_join"):
            if name in namespace and isinstance(environment, Sandbox):
                namespace[name] = environment.guarded_join(namespace[name])
        return super()._from_namespace(environment, namespace, globals)


class Sandbox(SandboxedEnvironment):
    """Templates run sandboxed: no access to Python internals, ranges of at most 100,000, and no string or
    list multiplied, string joined with ``~`` or number raised past a size that could exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})
    template_class = GuardedTemplate
    LIMIT = 100_000

    def guarded_join(self, join):
        """Jinja's join of ``a ~ b ~ ...`` (its pieces made strings as it makes them), refused past 1,000,000
        characters: a string doubled in a loop would otherwise grow until memory runs out."""
        def joined(seq):
            pieces = [x if isinstance(x, str) else str(x) for x in seq]
            if sum(map(len, pieces)) > self.LIMIT * 10:
                raise SecurityError("a string joined with ~ past 1,000,000 characters")
            return join(pieces)
        return joined

    def call_binop(self, context, operator, left, right):
        sizes = [len(x) for x in (left, right) if isinstance(x, (str, list, tuple))]
        counts = [x for x in (left, right) if isinstance(x, int) and not isinstance(x, bool)]
        if operator == "*" and sizes and counts and sizes[0] * abs(counts[0]) > self.LIMIT * 10:
            raise SecurityError("a string or list multiplied past 1,000,000 items")
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 1000:
            raise SecurityError("a power with an exponent above 1000")
        return super().call_binop(context, operator, left, right)


@functools.lru_cache(maxsize=None)
def _environment(tex_delimiters: bool, user: tuple[str, ...]) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader([str(p) for p in template_dirs()])
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(list(user)), builtin,
                                  jinja2.PrefixLoader({"builtin": builtin})])
    common = dict(loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                  keep_trailing_newline=True)
    if tex_delimiters:
        env = Sandbox(
            block_start_string="((*", block_end_string="*))",
            variable_start_string="(((", variable_end_string=")))",
            comment_start_string="((=", comment_end_string="=))",
            autoescape=False, **common)
    else:
        env = Sandbox(autoescape=lambda name: bool(name) and name.endswith((".html.j2", ".html")), **common)
    env.globals["standalone"] = False
    return env


def environment(templates=None, *, tex_delimiters: bool = True) -> jinja2.Environment:
    """The Jinja environment: the user's template folders (if any) in front of the built-in templates,
    which stay reachable as 'builtin/<name>'. LaTeX-safe delimiters ((* *)), ((( ))), ((= =)) for TeX;
    Jinja's own for Markdown and HTML (HTML autoescaped). Undefined variables are errors."""
    return _environment(tex_delimiters, _user_dirs(templates))


# What a user's template can raise by its own code ({{ 1 // 0 }}, range(10**9), a string grown past memory): with
# --templates in play, an error of the template (exit 2, its file and line); with the built-in ones alone, derive's.
TEMPLATE_FAULTS = (ArithmeticError, LookupError, TypeError, ValueError, MemoryError)


def render_template(fmt, name: str, ctx: dict, templates=None) -> str:
    """One template of a templated format, rendered: the format decides the delimiters, the escaping and the tidying."""
    env = environment(templates, tex_delimiters=fmt.tex)
    try:
        with time_limit(TEMPLATE_TIME_LIMIT, f"rendering the template {name}"):
            text = env.get_template(name).render(**ctx)
    except (jinja2.TemplateError, RecursionError, OutOfTime) as err:
        raise _template_error(err, name, templates) from None
    except TEMPLATE_FAULTS as err:
        if not templates:
            raise
        raise _template_error(err, name, templates) from None
    return fmt.tidy(text)


def _template_error(err: BaseException, name: str, templates) -> TemplateError:
    """The error naming the template (its file and line where the traceback has them): exit 2 when the user's
    templates are in play. The traceback's frames are cleared: a string that ran out of memory goes with them."""
    if isinstance(err, OutOfTime):
        error = TemplateError(str(err))
    else:
        error = TemplateError(f"template {_where(err, name)}: {_reason(err)}")
    traceback.clear_frames(err.__traceback__)
    error.exit_code = 2 if templates else 1
    return error


def _where(err: BaseException, name: str) -> str:
    """The template's file and line an error arose at, or its name."""
    if isinstance(err, (jinja2.TemplateNotFound, RecursionError)):
        return name
    if isinstance(err, jinja2.TemplateSyntaxError) and err.filename:
        return f"{err.filename}, line {err.lineno}"
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.endswith(".j2")]
    return f"{frames[-1].filename}, line {frames[-1].lineno}" if frames else name


def _reason(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "it extends, includes or calls itself without end"
    if isinstance(err, MemoryError):
        return "out of memory (derive's limit is 1 GiB) rendering it"
    if isinstance(err, jinja2.TemplateError):
        return err.message or type(err).__name__
    return f"{type(err).__name__}: {err}"


# --- a templated format's templates, rendered -----------------------------------------------

def snippet_files(form, doc, templates=None) -> dict[str, str]:
    """A templated format's snippets (``snippets``): its shared files first, then each problem's file, each of its
    questions' and their figures', everything rendered before anything is written."""
    ctx = context.document(doc, form.snippet_typesetter())
    files = dict(form.snippet_preamble(ctx, templates))
    for problem in ctx["problems"]:
        files[f"{problem['number']}.{form.ext}"] = render_template(
            form, form.snippet_template("problem"), {**ctx, "problem": problem}, templates)
        for part in problem["parts"]:
            for q in part["questions"]:
                files[f"{q['id']}.{form.ext}"] = render_template(
                    form, form.snippet_template("question"),
                    {**ctx, "problem": problem, "part": part, "q": q, "standalone": True}, templates)
                files.update(form.figure_snippets(ctx, q, templates))
    return files


FRAGMENT_CONTEXT = {"title": "", "due": None, "generator": "", "name": "", "sheet": "solutions", "figures": False}


def fragment_of(form, obj) -> str:
    """A piece of the document by a templated format's templates: an answer by '<folder>/answer', a document by
    its solutions sheet, any other level by the template of its name."""
    ts = form.typesetter()
    if obj.level == "answer":
        return render_template(form, form.template("answer"),
                               {"answer": context.answer(obj, ts.speaking(obj.notation)), "answer_id": None})
    if obj.level == "document":
        return render_template(form, form.template("solutions"), context.document(obj, ts))
    return render_template(form, form.template(obj.level), {**FRAGMENT_CONTEXT, **_fragment_context(obj, ts)})


def problems_fragment(form, doc) -> str:
    """A document as its problems' templates, one after another (no preamble)."""
    ts = form.typesetter()
    return "\n".join(render_template(form, form.template("problem"),
                                     {**FRAGMENT_CONTEXT, "problem": context.problem(p, ts)}) for p in doc.problems)


def _fragment_context(obj, ts) -> dict:
    if obj.level == "problem":
        return {"problem": context.problem(obj, ts)}
    if obj.level == "part":
        number = obj.questions[0].problem if obj.questions else 0
        return {"part": context.part(obj, number, ts)}
    if obj.level == "question":
        return {"q": context.question(obj, ts), "standalone": True}
    raise TypeError(f"cannot render a {type(obj).__name__}")
