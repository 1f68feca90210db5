"""Write every exercise picture on one contact sheet PNG, to look at them all at once.

Usage::

    python scripts/exercise_figures.py [-o exercise_figures.png] [KEY ...]

Each picture (:func:`knee_cv.media.exercise_figures.figure_png`) is drawn
under its catalog key; with keys, only those. Look at the sheet after any
change to a pose or to the drawing: the tests check the geometry, not what a
person understands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from knee_cv.media.exercise_figures import contact_sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keys", nargs="*", help="catalog keys (default: every exercise)")
    parser.add_argument("-o", "--output", type=Path, default=Path("exercise_figures.png"))
    args = parser.parse_args()
    if not cv2.imwrite(str(args.output), contact_sheet(args.keys or None)):
        raise SystemExit(f"could not write {args.output}")
    print(args.output)


if __name__ == "__main__":
    main()
