"""Developer sessions. `nox` with no arguments runs what CI runs."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs", "demo", "notebook"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with branch coverage (fails under 90 %).

    The PostgreSQL tests start a throwaway server if its binaries are installed (they skip
    otherwise, or fail when ``$DUNNING_REQUIRE_POSTGRES`` is set, as .ci/run does: nox passes
    the environment on). The browser test drives /usr/bin/chromium (Debian's package) with
    Playwright; it skips without it, or fails when ``$DUNNING_REQUIRE_BROWSER`` is set. The
    default run leaves out the ``oracle`` tests (``nox -s oracle``) and tries a quarter of each
    property's examples; ``DUNNING_HYPOTHESIS_PROFILE=thorough nox -s tests`` tries them all.
    """
    # playwright drives Debian's chromium (/usr/bin/chromium) in the browser test; we never
    # run `playwright install` (no browser download).
    session.install("-e", ".[tests,notebook,postgres,dask,einvoice,web]", "playwright>=1.45")
    session.run(
        "pytest",
        "--cov=dunning",
        "--cov-report=term",
        "--cov-fail-under=90",
        *session.posargs,
    )


@nox.session
def oracle(session: nox.Session) -> None:
    """Compare the engine and the penalties with their frozen copies (not in the default run).

    tests/properties/reference_engine.py and reference_penalties.py are the engine and the
    penalty computation as they stood before the speed work of issue 12; the current code is
    the specification now, so these comparisons (marker ``oracle``, all in tests/properties/)
    only run here, with every property's full number of examples (the ``thorough`` profile).
    """
    session.install("-e", ".[tests]")
    session.run(
        "pytest",
        "-m",
        "oracle",
        "tests/properties",
        *session.posargs,
        env={"DUNNING_HYPOTHESIS_PROFILE": "thorough"},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package, the tests and the benchmarks with mypy --strict."""
    session.install(
        "-e", ".[tests,typecheck,notebook,postgres,dask,einvoice,web]", "playwright>=1.45", "nox"
    )
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation, failing on any warning."""
    session.install("-e", ".[docs,web]")  # the reference documents dunning.web
    session.run("mkdocs", "build", "--strict", "--site-dir", session.create_tmp() + "/site")


@nox.session
def notebook(session: nox.Session) -> None:
    """Execute the example notebooks from scratch; ``-- --write`` saves their outputs in place."""
    session.install("-e", ".[notebook]", "nbclient>=0.10", "nbformat>=5.10", "ipykernel>=6.29")
    for name in ("analytics.ipynb", "erp_export.ipynb"):
        source = f"docs/notebooks/{name}"
        target = source if "--write" in session.posargs else f"{session.create_tmp()}/{name}"
        session.run("python", "docs/notebooks/execute.py", source, target)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks: each figure with its floor and ratio (not part of the default run)."""
    session.install("-e", ".[postgres,dask]")
    for script in (
        "benchmarks/bench_decide.py",
        "benchmarks/bench_startup.py",
        "benchmarks/bench_overrides.py",
        "benchmarks/bench_penalties.py",
        "benchmarks/bench_streaming.py",
        "benchmarks/bench_runner_memory.py",
        "benchmarks/bench_runner.py",
        "benchmarks/bench_sqlite_entries.py",
        "benchmarks/bench_postgres.py",
        "benchmarks/bench_workers.py",
        "benchmarks/bench_simulate.py",
        "benchmarks/bench_dask.py",
    ):
        session.run("python", script, *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Print the timeline of the built-in demo portfolio."""
    session.install(".")
    session.run("dunning", "demo")


@nox.session
def golden(session: nox.Session) -> None:
    """Regenerate the golden outputs (tests/golden/, the built-in include index): review diffs."""
    session.install("-e", ".")
    with open("tests/golden/demo.txt", "w", encoding="utf-8") as out:  # noqa: PTH123
        session.run("dunning", "demo", stdout=out)
    session.install("ruff==0.17.6")
    session.run("python", "tests/write_builtin_references.py")  # which template includes which
