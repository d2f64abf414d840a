"""Builds README.rst from the Markdown fragments in readme/, in the layout of the READMEs that
OCA's oca-gen-addon-readme writes: the title, DESCRIPTION.md, a table of contents, then one
section per fragment (INSTALL, CONFIGURE, USAGE, ROADMAP, DEVELOP, HISTORY) and Credits
(the manifest's authors, CONTRIBUTORS.md, CREDITS.md). A missing fragment leaves its section out.

OCA's generator is not on PyPI, hence this script; pandoc (PyPI's pypandoc-binary) converts the
fragments, read as pandoc's Markdown with no typographic "smart" rewriting. Headings in the
fragments are at the README's levels: `#` is a section as Installation is, so DESCRIPTION.md may
have `#` sections and the other fragments start at `##`. Line breaks are kept as they are.

    python3 scripts/build_readme.py           # writes README.rst
    python3 scripts/build_readme.py --check   # fails, with a diff, when README.rst is not built
                                              # from readme/ as it is
"""

import argparse
import ast
import difflib
import sys
from pathlib import Path

import pypandoc

ADDON_DIR = Path(__file__).resolve().parent.parent
FRAGMENTS_DIR = ADDON_DIR / "readme"
README = ADDON_DIR / "README.rst"

SECTIONS = [
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("DEVELOP", "Development"),
    ("HISTORY", "Changelog"),
]
CREDITS_SECTIONS = [("CONTRIBUTORS", "Contributors"), ("CREDITS", "Other credits")]

GENERATED_NOTE = """\
..
   This file is built from readme/*.md by scripts/build_readme.py: edit those, not this,
   then run that script (scripts/test.sh fails while README.rst is not up to date)."""


def heading(title, underline):
    return f"{title}\n{underline * len(title)}"


def fragment_rst(name):
    """The fragment readme/NAME.md in reStructuredText, or None when there is none."""
    path = FRAGMENTS_DIR / f"{name}.md"
    if not path.is_file():
        return None
    # Implicit figures off: an image alone in a paragraph stays an image, its alt text no caption.
    # No automatic identifiers: the rst writer would add an explicit target before every heading
    # whose identifier docutils spells otherwise (a version number in HISTORY.md).
    # Only tables are wrapped, to 100 columns as the text is, their cells shared out in the
    # proportions of the dashes under a pipe table's header.
    rst = pypandoc.convert_text(
        path.read_text(encoding="utf-8"),
        "rst",
        format="markdown-implicit_figures-smart-auto_identifiers",
        extra_args=["--wrap=preserve", "--columns=100"],
    )
    return rst.strip()


def build():
    manifest = ast.literal_eval((ADDON_DIR / "__manifest__.py").read_text(encoding="utf-8"))
    title = manifest["name"]
    parts = ["=" * len(title) + "\n" + title + "\n" + "=" * len(title), GENERATED_NOTE]
    description = fragment_rst("DESCRIPTION")
    if description:
        parts.append(description)
    parts.append("**Table of contents**\n\n.. contents::\n   :local:")
    for name, section_title in SECTIONS:
        body = fragment_rst(name)
        if body:
            parts += [heading(section_title, "="), body]
    parts.append(heading("Credits", "="))
    authors = "\n".join(f"* {author.strip()}" for author in manifest["author"].split(","))
    parts += [heading("Authors", "-"), authors]
    for name, section_title in CREDITS_SECTIONS:
        body = fragment_rst(name)
        if body:
            parts += [heading(section_title, "-"), body]
    return "\n\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare README.rst with a build, write nothing")
    args = parser.parse_args()
    built = build()
    if not args.check:
        README.write_text(built, encoding="utf-8")
        return 0
    current = README.read_text(encoding="utf-8") if README.is_file() else ""
    if current == built:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(keepends=True), built.splitlines(keepends=True), "README.rst", "README.rst (built)"
    )
    sys.stdout.writelines(diff)
    print(
        "README.rst is not what readme/*.md build: edit readme/, then run python3 scripts/build_readme.py",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
