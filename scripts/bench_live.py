"""Benchmark of the live webcam page in Chromium (not a test): frames per second and camera-to-overlay latency.

A fake camera plays a y4m made from a real frontal clip (640 x 360 at 25 fps,
scaled into the top of the picture) with a **frame code** burnt into a strip
at the bottom of every frame: 16 black or white blocks, the frame's number in
binary. Chromium (Debian's, headless, ``--use-file-for-fake-video-capture``)
opens the page; a script injected into every frame of the page

* watches a clone of the camera's track in a hidden ``<video>`` and the
  page's output ``<video>`` (the annotated stream coming back) with
  ``requestVideoFrameCallback``, reads the code of each frame shown from a
  canvas, and keeps the wall-clock time each code was first shown on each;
* keeps the page's ``RTCPeerConnection`` for its ``getStats()``.

Printed per page, over a measuring window after a warm-up:

``camera``      distinct camera frames a second (the fake camera's rate)
``sent``        frames the browser sent a second (``framesSent``): what the server receives
``processed``   distinct camera frames that came back a second (each one went through the callback)
``displayed``   frames the output ``<video>`` painted a second (repeats included)
``latency``     camera-to-overlay: the time a frame code first shows on the output minus the time it first
                showed on the camera's clone, median and 90th percentile, ms

Two pages, in the same run, so their ratio holds under whatever else the
machine is doing: knee_cv's Live webcam page (``app.py``, guided protocol on),
and a trivial app with streamlit-webrtc's own START button whose callback
returns the frame as it came. ``--load`` adds a process busy on one core for
the whole run. Servers listen on 127.0.0.1 and are stopped at the end.

``--before DIR`` adds a row for the Live page of another checkout (``git
worktree add DIR COMMIT``), its ``knee_cv`` first on ``PYTHONPATH``, in the
same run: the script finds the page's START button above the video, or
streamlit-webrtc's inside it.

Usage: ``python scripts/bench_live.py [--clip VIDEO] [--seconds 12] [--warmup 5] [--load] [--before DIR]
[--only knee_cv|trivial]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_util import launch_chromium, streamlit_server  # noqa: E402

SHARED = Path(os.environ.get("KNEE_CV_SHARED", ROOT.parent / "shared")) / "videos"
WIDTH, HEIGHT, FPS = 640, 360, 25
CODE_BITS, CODE_ROWS = 16, 24

TRIVIAL_APP = """
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

st.title("Trivial callback")
webrtc_streamer(key="trivial", mode=WebRtcMode.SENDRECV, rtc_configuration={"iceServers": []},
                media_stream_constraints={"video": True, "audio": False},
                video_frame_callback=lambda frame: frame, async_processing=True)
"""

#: Injected into every frame of the page before its own scripts.
PROBE_JS = r"""
(() => {
  const BITS = %(bits)d, ROWS = %(rows)d;
  const bench = window.__bench = {cam: {}, out: {}, painted: [], pcs: []};
  const Orig = window.RTCPeerConnection;
  if (Orig) {
    window.RTCPeerConnection = function (...args) { const pc = new Orig(...args); bench.pcs.push(pc); return pc; };
    window.RTCPeerConnection.prototype = Orig.prototype;
  }
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  function code(video) {
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return -1;
    canvas.width = w; canvas.height = h;
    ctx.drawImage(video, 0, 0, w, h);
    const y = Math.floor(h * (1 - (ROWS / 2) / %(height)d));
    const row = ctx.getImageData(0, y, w, 1).data;
    let value = 0;
    for (let i = 0; i < BITS; i++) {
      const x = Math.floor((i + 0.5) * w / BITS);
      value = value * 2 + (row[4 * x] + row[4 * x + 1] + row[4 * x + 2] > 3 * 128 ? 1 : 0);
    }
    return value;
  }
  function watch(video, seen, painted) {
    const step = (now) => {
      const t = performance.timeOrigin + now, c = code(video);
      if (c >= 0 && !(c in seen)) seen[c] = t;
      if (painted) painted.push(t);
      video.requestVideoFrameCallback(step);
    };
    video.requestVideoFrameCallback(step);
  }
  const gum = navigator.mediaDevices && navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  if (gum) {
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await gum(constraints);
      const clone = document.createElement('video');
      clone.muted = true; clone.playsInline = true;
      clone.style = 'position:fixed;left:0;bottom:0;width:64px;opacity:0.01;pointer-events:none';
      clone.srcObject = new MediaStream(stream.getVideoTracks().map((track) => track.clone()));
      document.body.appendChild(clone);
      clone.play();
      watch(clone, bench.cam, null);
      return stream;
    };
  }
  setInterval(() => {
    for (const video of document.querySelectorAll('video')) {
      if (video.__watched || !video.srcObject || video.style.opacity === '0.01') continue;
      video.__watched = true;
      watch(video, bench.out, bench.painted);
    }
  }, 200);
})();
"""

STATS_JS = """async () => {
  let sent = 0;
  for (const pc of window.__bench.pcs) {
    (await pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp' && r.kind === 'video') sent += r.framesSent || 0; });
  }
  return sent;
}"""


def frame_code(value: int, width: int) -> np.ndarray:
    """The code strip of frame ``value``: CODE_BITS blocks, white for 1, most significant bit first."""
    strip = np.zeros((CODE_ROWS, width, 3), np.uint8)
    for i in range(CODE_BITS):
        if value >> (CODE_BITS - 1 - i) & 1:
            strip[:, i * width // CODE_BITS : (i + 1) * width // CODE_BITS] = 255
    return strip


def write_camera(clip: Path, out: Path, seconds: float) -> Path:
    """The fake camera's y4m: ``clip`` looped to ``seconds`` at 25 fps, each frame's number burnt in at the bottom."""
    from knee_cv.media.video import iter_frames

    frames = []
    for _, rgb in iter_frames(clip):
        scale = min(WIDTH / rgb.shape[1], (HEIGHT - CODE_ROWS) / rgb.shape[0])
        small = cv2.resize(
            rgb, (int(rgb.shape[1] * scale) // 2 * 2, int(rgb.shape[0] * scale) // 2 * 2), interpolation=cv2.INTER_AREA
        )
        canvas = np.zeros((HEIGHT - CODE_ROWS, WIDTH, 3), np.uint8)
        x = (WIDTH - small.shape[1]) // 2
        canvas[: small.shape[0], x : x + small.shape[1]] = small
        frames.append(canvas)
    with av.open(str(out), "w", format="yuv4mpegpipe") as dst:
        stream = dst.add_stream("rawvideo", rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for n in range(int(seconds * FPS)):
            rgb = np.vstack([frames[n % len(frames)], frame_code(n, WIDTH)])
            dst.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")))
        dst.mux(stream.encode(None))
    return out


def busy() -> None:
    """Keep one core busy (``--load``)."""
    while True:
        pass


def start(page, knee_cv_page: bool) -> None:
    """Open the page and press START (the page's own button above the video, else streamlit-webrtc's)."""
    if knee_cv_page:
        page.get_by_role("link", name="Live webcam").click()
        page.get_by_role("heading", name="Live webcam").wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
    own = page.get_by_role("button", name="START", exact=True)
    if knee_cv_page and own.count():
        own.first.click()
    else:
        page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click(timeout=60_000)


def measure(pw, url: str, camera: Path, knee_cv_page: bool, warmup_s: float, seconds: float) -> dict:
    """One page's numbers over ``seconds`` after ``warmup_s`` of output."""
    flags = (
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
        "--allow-loopback-in-peer-connection",
    )
    browser = launch_chromium(pw, extra_args=flags)
    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 900})
    context.add_init_script(PROBE_JS % {"bits": CODE_BITS, "rows": CODE_ROWS, "height": HEIGHT})
    page = context.new_page()
    try:
        page.goto(url)
        start(page, knee_cv_page)
        frame = page.frame_locator("iframe[title*='webrtc']")
        frame.locator("video").first.wait_for(timeout=120_000)
        component = next(f for f in page.frames if "webrtc" in f.url)
        deadline = time.monotonic() + 120
        while not component.evaluate("() => Object.keys(window.__bench.out).length") and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(warmup_s)
        t0, sent0 = component.evaluate("() => performance.timeOrigin + performance.now()"), component.evaluate(STATS_JS)
        time.sleep(seconds)
        t1, sent1 = component.evaluate("() => performance.timeOrigin + performance.now()"), component.evaluate(STATS_JS)
        data = component.evaluate("() => ({cam: window.__bench.cam, out: window.__bench.out, painted: window.__bench.painted})")
    finally:
        context.close()
        browser.close()
    span = (t1 - t0) / 1000
    cam = {int(k): v for k, v in data["cam"].items() if t0 <= v <= t1}
    out = {int(k): v for k, v in data["out"].items() if t0 <= v <= t1}
    latency = [out[k] - data["cam"][str(k)] for k in out if str(k) in data["cam"]]
    return {
        "camera": len(cam) / span,
        "sent": (sent1 - sent0) / span,
        "processed": len(out) / span,
        "displayed": sum(t0 <= t <= t1 for t in data["painted"]) / span,
        "latency_median": statistics.median(latency) if latency else float("nan"),
        "latency_p90": float(np.percentile(latency, 90)) if latency else float("nan"),
        "matched": len(latency),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=SHARED / "sls_front_hyva_ja_paha.mp4")
    parser.add_argument("--seconds", type=float, default=12.0, help="measuring window, s")
    parser.add_argument("--warmup", type=float, default=5.0, help="s of output before measuring")
    parser.add_argument("--load", action="store_true", help="a process busy on one core during the run")
    parser.add_argument("--before", type=Path, help="another checkout whose Live page gets a row too")
    parser.add_argument("--only", choices=("knee_cv", "trivial"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    loader = None
    if args.load:
        loader = multiprocessing.Process(target=busy, daemon=True)
        loader.start()
    try:
        with tempfile.TemporaryDirectory(prefix="knee_cv_bench_live_") as folder:
            camera = write_camera(args.clip, Path(folder) / "camera.y4m", args.warmup + args.seconds + 25)
            trivial = Path(folder) / "trivial_app.py"
            trivial.write_text(TRIVIAL_APP)
            print(
                f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)"
                f"{', plus one busy process' if args.load else ''}"
            )
            print(
                f"camera: {args.clip.name} as {WIDTH}x{HEIGHT} at {FPS} fps; window {args.seconds:.0f} s "
                f"after {args.warmup:.0f} s\n"
            )
            print(
                f"{'page':<10}{'camera':>8}{'sent':>8}{'processed':>11}{'displayed':>11}{'latency median':>16}{'p90':>7}{'n':>6}"
            )
            with sync_playwright() as pw:
                pages = [("trivial", str(trivial), {}), ("knee_cv", "app.py", {})]
                if args.before:
                    root = args.before.resolve()
                    pages.append(("before", str(root / "app.py"), {"PYTHONPATH": str(root)}))
                for name, app, env in pages:
                    if args.only and args.only != name:
                        continue
                    with streamlit_server(env, app=app) as url:
                        row = measure(pw, url, camera, name != "trivial", args.warmup, args.seconds)
                    print(
                        f"{name:<10}{row['camera']:>8.1f}{row['sent']:>8.1f}{row['processed']:>11.1f}"
                        f"{row['displayed']:>11.1f}{row['latency_median']:>13.0f} ms{row['latency_p90']:>7.0f}"
                        f"{row['matched']:>6}",
                        flush=True,
                    )
            print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    finally:
        if loader is not None:
            loader.terminate()


if __name__ == "__main__":
    main()
