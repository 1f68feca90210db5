"""The installed package describes itself from one place: its version and its type information."""

from pathlib import Path

import tomllib

import knee_cv

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_pyprojects():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert knee_cv.__version__ == declared


def test_the_package_says_it_is_typed():
    assert (Path(knee_cv.__file__).parent / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in data["knee_cv"]
