"""Build the API reference from the docstrings with pdoc: ``python scripts/build_docs.py [-o docs/api] [MODULE ...]``.

Every module of the ``knee_cv`` package is documented (or only the modules
named, for a quick look at one page) except the Streamlit
app (its page scripts run when imported) and the Alembic migration scripts;
docstrings are read as NumPy style. The landing page is the ``knee_cv``
package, whose docstring includes ``docs/getting-started.md``.

Any warning while importing or rendering (a module that fails to import, an
include that is not found, a repeated module) is an error: the script lists
them and exits with status 1, leaving whatever it wrote. ``pdoc`` comes with
the ``test`` extra (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import pkgutil
import sys
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT_ROOT / "docs" / "api"
#: Modules left out, as pdoc's ``!regex`` specs matched against module names.
EXCLUDED = (r"!knee_cv\.app(\.|$)", r"!knee_cv\.store\.migrations(\.|$)")


def module_specs() -> list[str]:
    """``knee_cv`` and each module or package directly under it, then the exclusions.

    ``knee_cv`` has an ``__all__`` of its public names, so pdoc does not walk
    into its submodules on its own: they are named here, found on disk
    without importing them.
    """
    import knee_cv

    children = sorted(f"knee_cv.{module.name}" for module in pkgutil.iter_modules(knee_cv.__path__))
    return ["knee_cv", *children, *EXCLUDED]


def build(output: Path, specs: list[str]) -> list[str]:
    """Write the HTML reference of pdoc's module ``specs`` into ``output``; returns the warnings raised (empty: success)."""
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="numpy", show_source=False, footer_text="knee_cv API reference")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*specs, output_directory=output)
    return [f"{warning.category.__name__}: {warning.message}" for warning in caught]


def main(argv: list[str] | None = None) -> int:
    """Build the reference; exit status 0, or 1 with the warnings listed on stderr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"folder for the HTML (default: {DEFAULT_OUTPUT.relative_to(PROJECT_ROOT)})",
    )
    parser.add_argument(
        "modules", nargs="*", metavar="MODULE", help="only these modules (such as knee_cv.batch); default: the whole package"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(PROJECT_ROOT))  # this checkout's knee_cv, installed or not
    output = args.output
    problems = build(output, args.modules or module_specs())
    if problems:
        print(f"build_docs: {len(problems)} warning(s), treated as errors:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"API reference written to {output / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
