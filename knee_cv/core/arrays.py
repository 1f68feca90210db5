"""Type aliases for the numpy arrays the core passes around (for annotations only)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

#: An array of float64: landmark positions in pixels, angles in degrees, times in seconds.
FloatArray: TypeAlias = NDArray[np.float64]
#: An array of bools: a per-frame or per-rep mask.
BoolArray: TypeAlias = NDArray[np.bool_]
#: An array of int64: frame indices, run starts and lengths.
IntArray: TypeAlias = NDArray[np.int64]
