"""The tests' fixtures, one plugin module per kind (``tests/fixtures/``).

* :mod:`fixtures.shared`: the real videos and landmark tracks in ``../shared``
  and their pose tracks (skip where absent, fail under ``.ci/run``);
* :mod:`fixtures.optional`: test-only packages (OpenSim, Ray);
* :mod:`fixtures.databases`: a throwaway PostgreSQL server and an empty store
  on SQLite and PostgreSQL.
"""

pytest_plugins = ["fixtures.shared", "fixtures.optional", "fixtures.databases"]
