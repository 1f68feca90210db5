"""Pixels and files: video decoding and the H.264 writer, pose models, MediaPipe, track files, overlays."""
