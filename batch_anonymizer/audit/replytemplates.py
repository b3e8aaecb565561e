"""The reply templates: built-in English, or the organisation's own folder (``--reply-templates``).

One file per outcome and language, ``<outcome>.<language>.txt`` (``erased.de.txt``);
files whose name starts with ``_`` are parts for ``{% include %}``. The first line of a
template may be ``Subject: ...``; the rest is the body. Templates are rendered by Jinja2
in a sandboxed environment (they come from a folder, not from us), with autoescape off
(plain text, not HTML) and ``StrictUndefined``, so a misspelt field is an error rather
than an empty gap in a letter. A folder is checked when it is loaded, before anything is
sent: every file parses, names a known outcome and uses only the documented fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import ReplyTemplateError

if TYPE_CHECKING:  # imported when templates are loaded: every other command skips ~16 ms
    import jinja2

#: The built-in English templates (package data).
BUILTIN = Path(__file__).with_name("reply_templates")
ENGLISH = "en"
#: The template per reply kind: the request outcomes, the held ones split by why.
KINDS = (
    "erased",
    "no_data_held",
    "anonymized_unverified",
    "incomplete",
    "invalid",
    "held",
    "held_identity",
    "not_erasure",
    "ready",
)
#: Every field a template may use (docs/replies.md describes each).
FIELDS = frozenset(
    {
        "name",
        "request",
        "received",
        "received_iso",
        "due",
        "due_iso",
        "completed",
        "completed_iso",
        "keys",
        "authority",
        "signature",
        "hold",
        "identity",
        "request_type",
        "extension_reason",
        "extended",
        "late",
        "late_unsure",
        "overdue",
        "outcome",
        "language",
    }
)
_NAME = re.compile(r"^(?P<kind>[a-z_]+)\.(?P<lang>[a-z]{2,3})\.txt$")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered template: its subject line (may be "") and its body."""

    subject: str
    body: str


class Templates:
    """The templates a run drafts its replies with: ``folder`` first, then the built-in
    English ones. Raises ``ReplyTemplateError`` for a folder that cannot be used."""

    def __init__(self, folder: Path | None = None) -> None:
        import jinja2
        from jinja2.sandbox import SandboxedEnvironment

        self.folder = folder
        paths = [str(BUILTIN)]
        if folder is not None:
            if not folder.is_dir():
                raise ReplyTemplateError(
                    f"--reply-templates {folder}: no such folder (give the folder holding "
                    "files such as erased.en.txt)"
                )
            paths.insert(0, str(folder))
        self._env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(paths, encoding="utf-8"),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # loaded once per run: no stat of the file per draft
        )
        self._own = frozenset(_check_folder(self._env, folder)) if folder else frozenset()

    def has(self, kind: str, language: str) -> bool:
        """Whether ``kind`` has a template in ``language`` (the folder's or built-in)."""
        name = f"{kind}.{language}.txt"
        if not _NAME.match(name):  # a language no file can be named for ("deutsch")
            return False
        return name in self._own or (BUILTIN / name).is_file()

    def render(self, kind: str, language: str, fields: Mapping[str, object], who: str) -> Rendered:
        """Template ``kind`` in ``language`` rendered with ``fields``; ``who`` names the
        request in an error."""
        import jinja2

        name = f"{kind}.{language}.txt"
        try:
            text = self._env.get_template(name).render(fields)
        except jinja2.TemplateError as e:
            raise ReplyTemplateError(
                f"reply template {name} cannot be rendered for request {who}: {e.message}; "
                f"the fields are: {', '.join(sorted(FIELDS))}"
            ) from e
        return _split(text)


def _check_folder(env: jinja2.Environment, folder: Path) -> list[str]:
    """The template names of ``folder``, each checked; ``ReplyTemplateError`` on the first
    that cannot be used."""
    import jinja2
    from jinja2 import meta

    names = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        m = _NAME.match(path.name)
        if not path.name.startswith("_") and (m is None or m["kind"] not in KINDS):
            raise ReplyTemplateError(
                f"reply template {path.name}: not a name this tool reads; name each "
                "<outcome>.<language>.txt (erased.de.txt) with the outcome one of "
                f"{', '.join(KINDS)}; a part for {{% include %}} starts with _"
            )
        try:
            source = path.read_text(encoding="utf-8")
            unknown = meta.find_undeclared_variables(env.parse(source)) - FIELDS
        except UnicodeDecodeError as e:
            raise ReplyTemplateError(f"reply template {path.name} is not UTF-8 text") from e
        except jinja2.TemplateSyntaxError as e:
            raise ReplyTemplateError(
                f"reply template {path.name}, line {e.lineno}: {e.message}"
            ) from e
        if unknown:
            raise ReplyTemplateError(
                f"reply template {path.name} uses {', '.join(sorted(unknown))}, which "
                f"{'is not a field' if len(unknown) == 1 else 'are not fields'}; the fields "
                f"are: {', '.join(sorted(FIELDS))}"
            )
        names.append(path.name)
    return names


def _split(text: str) -> Rendered:
    """The subject line (when the text starts with one) and the body, with runs of blank
    lines made one, so a template's conditional blocks leave no gaps."""
    subject = ""
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        subject, text = first[len("subject:") :].strip(), rest
    lines = [line.rstrip() for line in text.strip().splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return Rendered(subject, body + "\n")
