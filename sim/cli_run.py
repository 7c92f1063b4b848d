"""``creditsim run`` and ``creditsim run-set``: the commands that simulate into the run store.

``run`` runs a config (``--from-manifest``: reruns a stored run exactly; ``--resume``:
continues a stopped one) and prints its summary; ``run-set`` runs several policies on
common random numbers and prints each against the first. A Ctrl-C (or a ``kill``, which
:func:`sim.cli.main` turns into one for these commands) says what was kept and how to
continue (:func:`_interrupted`).
"""

from __future__ import annotations

import argparse

from sim.cli_common import (
    _book_share,
    _check_exports,
    _command,
    _export,
    _export_files,
    _print_summary,
    _warn,
    console,
    err_console,
)


def cmd_run(args: argparse.Namespace) -> int:
    import sim
    from sim.config import load_config
    from sim.settings import configure
    from sim.shipped import resolve_config

    share = _book_share(args.book_share)
    if args.set and (args.resume is not None or args.from_manifest is not None):
        from sim.settings import stored_run_refusal

        raise ValueError(stored_run_refusal(args.resume))
    if share is not None and (args.resume is not None or args.from_manifest is not None):
        raise ValueError("--book-share scales the book of a new run; a stored run keeps the "
                         "book it was started with (recorded in its manifest): give no "
                         "--book-share")
    if args.resume is not None:
        return _resume(args)
    if args.from_manifest is not None:
        return _rerun(args)
    if args.config is None:
        raise ValueError("give a CONFIG file to run, or --from-manifest RUN to rerun a stored run")
    config = resolve_config(args.config)
    # read once (a file's warnings are said once), --deal and --set validated after both;
    # the manifest records what they changed from the file
    read = load_config(config)
    given = load_config(configure(read, args.deal, args.set, share))
    if args.set:
        from sim.settings import unscaled_collectors

        _warn(unscaled_collectors(read, given, args.set))
    if not args.quiet:
        _say_estimate(given, args)
    result = None
    try:
        result = sim.run(given, paths=args.paths, seed=args.seed,
                         workers=args.workers, out=args.out, scheduler=args.scheduler,
                         progress=not args.quiet, base=config)
        if not args.quiet:
            _print_summary(result)
        print(result.path)
    except KeyboardInterrupt as exc:
        if result is not None and result.path is not None:
            err_console.print(f"interrupted after the run was stored: {result.path} is complete",
                              highlight=False)
        else:
            _interrupted(exc)
        return 130
    return 0


def _say_estimate(cfg, args: argparse.Namespace) -> None:  # noqa: ANN001 - a RunConfig
    """Before a large run, its estimated time and disk (:mod:`sim.estimate`), on stderr."""
    from sim.estimate import estimate_run

    estimate = estimate_run(cfg, cfg.paths if args.paths is None else args.paths,
                            args.workers, None if args.scheduler else args.out)
    if estimate is not None:
        err_console.print(estimate.text(), highlight=False)


def _interrupted(exc: KeyboardInterrupt) -> None:
    """Ctrl-C before a run was stored: say so, and where the paths done so far are kept."""
    from sim.store import RunInterrupted

    text = "interrupted before the run was stored; no run was written"
    if isinstance(exc, RunInterrupted) and exc.done:
        text += (f" ({exc.done} of {exc.total} paths are kept in {exc.folder}: continue with "
                 f"'creditsim run --resume {exc.folder}')")
    elif isinstance(exc, RunInterrupted):  # the folder stays, with the run's settings only
        text += (f" (no path had finished; {exc.folder} holds only the run's settings: "
                 f"'creditsim run --resume {exc.folder}' starts it again, or delete it)")
    err_console.print(text, highlight=False, soft_wrap=True)  # a path to copy, unbroken


def _resume(args: argparse.Namespace) -> int:
    """``creditsim run [CONFIG] --resume RUN_DIR``: continue a stopped run (see sim.resume)."""
    from sim.config import load_config
    from sim.resume import resume
    from sim.settings import with_deal
    from sim.shipped import resolve_config

    if args.from_manifest is not None:
        raise ValueError("give either --resume or --from-manifest, not both")
    config = None
    if args.config is not None:
        config = load_config(with_deal(resolve_config(args.config), args.deal))
    try:
        result = resume(args.resume, config, seed=args.seed, paths=args.paths,
                        workers=args.workers, scheduler=args.scheduler, progress=not args.quiet)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
        return 130
    if not args.quiet:
        _print_summary(result)
    print(result.path)
    return 0


def _rerun(args: argparse.Namespace) -> int:
    """``creditsim run --from-manifest RUN``: the stored run's config, seed and paths."""
    from sim.rerun import rerun

    given = [f"--{k}" for k in ("paths", "seed", "deal") if getattr(args, k) is not None]
    if args.config is not None or given:
        raise ValueError("--from-manifest reruns a stored run exactly: give no CONFIG"
                         + (f" and no {', '.join(given)}" if given else ""))
    result, changed = rerun(args.from_manifest, args.out, out=args.out, workers=args.workers,
                            scheduler=args.scheduler, progress=not args.quiet)
    for line in changed:
        err_console.print(f"warning: the code differs from the stored run's: {line}; "
                          "results may differ", highlight=False)
    if not args.quiet:
        _print_summary(result)
    print(result.path)
    return 0


def cmd_run_set(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from sim.arguments import check_store
    from sim.config import load_config
    from sim.exports import run_set_export
    from sim.metrics import small_sample_warning
    from sim.report import run_set_table
    from sim.runinfo import set_overrides_text
    from sim.scenarios.policies import (
        check_policy_set,
        repeated_policies,
        run_policy_set_checked,
    )
    from sim.settings import configure
    from sim.shipped import resolve_config

    check_store(args.out, "", 0)  # each run checks its own folder name before its work
    _check_exports(args)
    share = _book_share(args.book_share)
    files = [resolve_config(c) for c in args.configs]
    # the same deal and changes for every policy (a smaller book, a longer horizon...); each
    # read once, and its manifest records what they changed from its file
    read = [load_config(f) for f in files]
    configs = [load_config(configure(r, args.deal, args.set, share)) for r in read]
    check_policy_set(configs, args.configs)  # a refused set says only why: no note before
    if args.set:  # said once, of the first config, as every policy is changed alike
        from sim.settings import unscaled_collectors

        _warn(unscaled_collectors(read[0], configs[0], args.set))
    repeated = repeated_policies(configs, args.configs)
    if repeated:  # as compare warns of two runs of one config, before the runs
        err_console.print("[bold yellow]warning:[/] " + escape(repeated), highlight=False)
    runs, table, pairings = run_policy_set_checked(
        configs, paths=args.paths, seed=args.seed, workers=args.workers, out=args.out,
        progress=not args.quiet, bases=files)
    try:  # before the table: a reader that stops reading it (| head) keeps the files
        written = _export(run_set_export(table, runs, pairings, _command(args)),
                          _export_files(args))
    except ValueError as exc:  # the runs are stored all the same: say where
        raise ValueError(f"{exc}; the runs are stored: "
                         + ", ".join(str(r.path) for r in runs)) from None
    ref = runs[0].manifest
    console.print(run_set_table(table, ref["name"], pairings, int(ref["paths"]), ref["seed"],
                                set_overrides_text([r.manifest for r in runs])))  # --set, --deal
    _warn(small_sample_warning(int(ref["paths"])))
    for r in runs:
        print(r.path)
    for file in written:
        print(file)
    return 0
