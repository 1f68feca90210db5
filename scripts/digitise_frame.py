"""Gridded stills of a video for digitising joint centres by hand.

Usage::

    # one frame with a pixel grid, plus x4 zooms around three points
    python scripts/digitise_frame.py VIDEO --time 2.40 -o bottom.png --zoom 610,420 --zoom 600,560
    python scripts/digitise_frame.py VIDEO --frame 61 -o bottom.png --mark 611,421 --mark 598,560

    # a contact sheet: a frame every 0.25 s, or every frame of a short span, cropped
    python scripts/digitise_frame.py VIDEO --sheet --every 0.25 -o sheet.png
    python scripts/digitise_frame.py VIDEO --sheet --start 2.2 --end 2.7 --crop 450,300,800,720 -o steps.png

    # the digitising view: one frame (start = end), a crop of the leg enlarged 3x, 10 px grid
    python scripts/digitise_frame.py VIDEO --sheet --start 3.6 --end 3.6 --crop 570,420,780,710 \
        --grid 10 --thumb 630 --columns 1 [--gamma 0.45] [--mark 706,458 --mark 697,592] -o leg.png

The way a clinician digitises in Kinovea: read a point's pixel coordinates off
the grid of the zoomed crop. Frames come from :func:`knee_cv.media.video.iter_frames`,
so they are upright (rotation tag applied) and their index and time are the
project's: frame ``i`` is the ``i``-th frame ``iter_frames`` yields, and its
time ``t`` is seconds from the first frame. PyAV's own ``frame.time`` (the
presentation time in the container, which need not start at 0) is printed
beside it: ``pts_s = t + first_pts_s``.

Coordinates are pixels in the upright frame, origin top-left, x right, y down;
the integer coordinate ``x`` is the centre of pixel column ``x`` (OpenCV's
convention), so a grid line labelled ``x`` runs through the middle of that
column.

The full-frame grid has lines every 50 px, labelled every 100 px. A zoom is
the square of ``2 * radius`` px around a point, enlarged ``--zoom-scale``
times (nearest neighbour, so each pixel stays a visible block), with minor
lines every 2 px at its edges (ticks), lines every 10 px and labels every 10
px. A sheet tile is a crop (``--crop``) scaled to ``--thumb`` px wide with a
grid every ``--grid`` px, labelled every 100 px (or every 5 lines for a fine
grid). ``--mark X,Y`` draws a small ring at a point already digitised, to
check it by eye; ``--gamma`` below 1 brightens the picture so black clothing
on a dark floor shows its outline. Nothing is estimated: no pose model is run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import cv2
import numpy as np

from knee_cv.media.video import iter_frames

GRID_RGB = (255, 255, 0)
MARK_RGB = (255, 0, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def first_pts_s(video: Path) -> float:
    """PyAV presentation time of the video's first decoded frame, in seconds."""
    with av.open(str(video)) as container:
        for frame in container.decode(container.streams.video[0]):
            return float(frame.time)
    raise SystemExit(f"{video}: no video frames")


def pick_frame(video: Path, time_s: float | None, index: int | None) -> tuple[int, float, np.ndarray]:
    """The frame with index ``index``, or the one nearest ``time_s`` (s from the first frame).

    Returns
    -------
    index : int
        Position in :func:`knee_cv.media.video.iter_frames`' sequence.
    t : float
        Its time in seconds from the first frame.
    rgb : ndarray of uint8, shape (H, W, 3)
        The upright picture.
    """
    best: tuple[float, int, float, np.ndarray] | None = None
    for i, (t, rgb) in enumerate(iter_frames(video)):
        if index is not None:
            if i == index:
                return i, t, rgb
            continue
        gap = abs(t - time_s)
        if best is not None and gap > best[0]:
            break
        best = (gap, i, t, rgb)
    if best is None:
        raise SystemExit(f"{video}: frame {index} does not exist")
    return best[1], best[2], best[3]


def text(img: np.ndarray, label: str, org: tuple[int, int], scale: float = 0.4) -> None:
    """Write ``label`` at ``org`` (bottom-left, px) in the label colour with a dark outline."""
    cv2.putText(img, label, org, FONT, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, label, org, FONT, scale, GRID_RGB, 1, cv2.LINE_AA)


def blend_lines(img: np.ndarray, lines: list[tuple[tuple[int, int], tuple[int, int]]], alpha: float) -> None:
    """Draw 1-px ``lines`` ((x0, y0), (x1, y1)) in the grid colour at opacity ``alpha``, in place."""
    layer = img.copy()
    for p0, p1 in lines:
        cv2.line(layer, p0, p1, GRID_RGB, 1)
    cv2.addWeighted(layer, alpha, img, 1.0 - alpha, 0.0, dst=img)


def grid_full(
    rgb: np.ndarray, scale: float, x0: int = 0, y0: int = 0, labels: bool = True, step: int = 50, label_every: int = 100
) -> np.ndarray:
    """The picture enlarged ``scale`` times with a grid every ``step`` px, labelled every ``label_every`` px.

    ``x0, y0`` is the frame coordinate of the picture's top-left pixel (for crops).
    """
    h, w = rgb.shape[:2]
    out = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    H, W = out.shape[:2]
    lines, majors = [], []
    for x in range(-(-x0 // step) * step, x0 + w, step):
        u = round((x - x0 + 0.5) * scale)
        lines.append(((u, 0), (u, H - 1)))
        if x % label_every == 0:
            majors.append(("x", x, u))
    for y in range(-(-y0 // step) * step, y0 + h, step):
        v = round((y - y0 + 0.5) * scale)
        lines.append(((0, v), (W - 1, v)))
        if y % label_every == 0:
            majors.append(("y", y, v))
    blend_lines(out, lines, 0.45)
    if labels:
        for axis, value, pos in majors:
            if axis == "x":
                text(out, str(value), (pos + 2, 12))
                text(out, str(value), (pos + 2, H - 4))
            else:
                text(out, str(value), (2, pos - 3))
                text(out, str(value), (W - 34, pos - 3))
    return out


def draw_marks(img: np.ndarray, marks: list[tuple[float, float]], scale: float, x0: float = 0, y0: float = 0) -> None:
    """Draw a ring and centre dot at each frame point in ``marks`` on a view enlarged ``scale`` times."""
    for x, y in marks:
        centre = (round((x - x0 + 0.5) * scale), round((y - y0 + 0.5) * scale))
        cv2.circle(img, centre, max(4, round(2 * scale)), MARK_RGB, 1, cv2.LINE_AA)
        cv2.circle(img, centre, 1, MARK_RGB, -1)


def zoom(rgb: np.ndarray, cx: int, cy: int, radius: int, scale: int, marks: list[tuple[float, float]]) -> np.ndarray:
    """The square of ``2 * radius`` px centred on (cx, cy), enlarged ``scale`` times, with a fine grid.

    Lines every 10 px (labelled at the top and left edges with their frame
    coordinate), ticks every 2 px along the edges; outside the frame is black.
    """
    h, w = rgb.shape[:2]
    x0, y0 = cx - radius, cy - radius
    crop = np.zeros((2 * radius, 2 * radius, 3), np.uint8)
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + 2 * radius, w), min(y0 + 2 * radius, h)
    if xa < xb and ya < yb:
        crop[ya - y0 : yb - y0, xa - x0 : xb - x0] = rgb[ya:yb, xa:xb]
    out = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    size = out.shape[0]
    lines = []
    for k in range(2 * radius):
        pos = round((k + 0.5) * scale)
        value_x, value_y = x0 + k, y0 + k
        if value_x % 10 == 0:
            lines.append(((pos, 0), (pos, size - 1)))
        elif value_x % 2 == 0:
            lines.append(((pos, 0), (pos, 5)))
            lines.append(((pos, size - 6), (pos, size - 1)))
        if value_y % 10 == 0:
            lines.append(((0, pos), (size - 1, pos)))
        elif value_y % 2 == 0:
            lines.append(((0, pos), (5, pos)))
            lines.append(((size - 6, pos), (size - 1, pos)))
    blend_lines(out, lines, 0.6)
    for k in range(2 * radius):
        pos = round((k + 0.5) * scale)
        if (x0 + k) % 10 == 0:
            text(out, str(x0 + k), (pos + 2, 20), 0.35)
        if (y0 + k) % 10 == 0:
            text(out, str(y0 + k), (8, pos - 3), 0.35)
    draw_marks(out, marks, scale, x0, y0)
    text(out, f"zoom x{scale} at ({cx},{cy})", (8, size - 10), 0.4)
    return out


def brighten(rgb: np.ndarray, gamma: float) -> np.ndarray:
    """``rgb`` with gamma ``gamma`` applied (below 1 lifts dark clothing against a dark floor; 1 = unchanged)."""
    if gamma == 1.0:
        return rgb
    table = np.round(255.0 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8)
    return table[rgb]


def parse_point(value: str) -> tuple[int, int]:
    """'X,Y' -> (X, Y) in pixels."""
    x, y = value.split(",")
    return round(float(x)), round(float(y))


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB image as PNG."""
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise SystemExit(f"could not write {path}")


def single_frame(args: argparse.Namespace) -> None:
    """Write the gridded frame (and its zooms) for ``--time`` or ``--frame``."""
    index, t, rgb = pick_frame(args.video, args.time, args.frame)
    rgb = brighten(rgb, args.gamma)
    marks = [parse_point(m) for m in args.mark]
    view = grid_full(rgb, args.scale)
    draw_marks(view, marks, args.scale)
    pts = t + first_pts_s(args.video)
    band = np.zeros((44, view.shape[1], 3), np.uint8)
    text(band, args.video.name, (6, 17), 0.45)
    text(band, f"frame {index}  t={t:.6f} s  pts={pts:.6f} s", (6, 37), 0.45)
    write_png(args.output, np.vstack([view, band]))
    print(f"frame {index}  t_s {t:.6f}  pts_s {pts:.6f}  -> {args.output}")
    if args.zoom:
        tiles = [zoom(rgb, *parse_point(p), args.zoom_radius, args.zoom_scale, marks) for p in args.zoom]
        path = args.output.with_name(args.output.stem + "_zoom.png")
        write_png(path, np.hstack([np.pad(tile, ((0, 0), (0, 6), (0, 0))) for tile in tiles]))
        print(f"zooms -> {path}")


def contact_sheet(args: argparse.Namespace) -> None:
    """Write a sheet of frames every ``--every`` s (0 = every frame) from ``--start`` to ``--end``."""
    tiles, next_t = [], args.start
    marks = [parse_point(m) for m in args.mark]
    for i, (t, rgb) in enumerate(iter_frames(args.video)):
        if t < next_t - 0.005:
            continue
        if args.end is not None and t > args.end + 0.005:
            break
        next_t = t + args.every
        rgb = brighten(rgb, args.gamma)
        x0, y0, x1, y1 = args.crop or (0, 0, rgb.shape[1], rgb.shape[0])
        scale = args.thumb / (x1 - x0)
        label_every = 100 if args.grid >= 50 else 5 * args.grid
        tile = grid_full(rgb[y0:y1, x0:x1], scale, x0, y0, len(tiles) == 0 or args.every == 0, args.grid, label_every)
        draw_marks(tile, marks, scale, x0, y0)
        text(tile, f"#{i} {t:.2f}s", (4, tile.shape[0] - 20), 0.5)
        tiles.append(tile)
    if not tiles:
        raise SystemExit("no frames in that span")
    cols = args.columns
    blank = np.zeros_like(tiles[0])
    rows = [np.hstack(tiles[r : r + cols] + [blank] * (cols - len(tiles[r : r + cols]))) for r in range(0, len(tiles), cols)]
    write_png(args.output, np.vstack(rows))
    print(f"{len(tiles)} frames -> {args.output}")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="PNG to write")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--time", type=float, help="frame nearest this time, s from the first frame")
    which.add_argument("--frame", type=int, help="frame index in iter_frames order")
    which.add_argument("--sheet", action="store_true", help="contact sheet instead of one frame")
    parser.add_argument("--scale", type=float, default=1.0, help="enlargement of the full frame")
    parser.add_argument("--zoom", action="append", default=[], metavar="X,Y", help="zoom around this point")
    parser.add_argument("--zoom-radius", type=int, default=40, help="half side of a zoom square, px")
    parser.add_argument("--zoom-scale", type=int, default=4, help="enlargement of a zoom")
    parser.add_argument("--mark", action="append", default=[], metavar="X,Y", help="ring at a digitised point")
    parser.add_argument("--gamma", type=float, default=1.0, help="display gamma (0.5 brightens dark clothing)")
    parser.add_argument("--every", type=float, default=0.0, help="sheet: seconds between frames (0 = all)")
    parser.add_argument("--start", type=float, default=0.0, help="sheet: first time, s")
    parser.add_argument("--end", type=float, default=None, help="sheet: last time, s")
    parser.add_argument("--crop", type=lambda v: tuple(int(p) for p in v.split(",")), metavar="X0,Y0,X1,Y1")
    parser.add_argument("--grid", type=int, default=50, help="sheet: grid step, px (labels every 100, or every 5 steps)")
    parser.add_argument("--thumb", type=int, default=320, help="sheet: tile width, px")
    parser.add_argument("--columns", type=int, default=6, help="sheet: tiles per row")
    args = parser.parse_args(argv)
    if args.sheet:
        contact_sheet(args)
    elif args.time is None and args.frame is None:
        parser.error("give --time, --frame or --sheet")
    else:
        single_frame(args)


if __name__ == "__main__":
    main()
