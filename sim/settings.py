"""``--set KEY=VALUE``: change single config values on the command line.

A strategy analyst comparing policies changes one or two values at a time (twenty collectors
instead of twelve; reminders every three days). Writing a YAML file for each is friction, and
a file per variant is easy to lose track of. ``creditsim run configs/standard.yaml --set
collections.collectors.count=20`` runs the config with that one value changed; the run's
manifest records the change as an override of the config file (``creditsim compare`` lists it
among the keys that differ), so the run can be reproduced with ``--from-manifest``.

A key is the dotted path of a config value as ``creditsim config-reference`` (docs/CONFIG.md)
lists it, with list items by position (``collections.ladder.0.every_days``) and the keys of
a mapping keyed by numbers as digits (``spending.plan_mix.3``, the 3-month plan). A value is read
as YAML: ``20``, ``0.5``, ``true``, ``null``, ``[3, 6, 12]``, ``{3: 0.5, 6: 0.5}``, with one
addition: a number in scientific notation (``1e3``, ``2.5e-2``, ``-1E+4``, ``.5e1``) is a
number, as YAML 1.2 reads it, where YAML 1.1 (PyYAML's rules) reads ``1e3`` as the string
"1e3" (it wants a dot and a signed exponent); config files read it as the number too
(:data:`sim.yamlsafe.SCIENTIFIC`). A value meets the config's as a config file's meets its
``base:`` (:func:`sim.configfile.merge_over_base`): a mapping given to a section merges into
it (``book={initial_borrowers: 200}`` keeps the book's horizon and intake, and a later
``book.horizon_months=12`` finds its key), and every other value replaces, a mapping that is
one value (``spending.plan_mix``) with the file's warning when it drops entries. Every key is
checked against the config before
anything runs, and the changed config is validated as a whole, as a config file is.
``--deal FILE`` (:func:`with_deal`) swaps the config's whole deal for a deal file's.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import warnings
from pathlib import Path
from typing import Any

from sim.config import RunConfig, validate_config
from sim.configfile import (
    ConfigError,
    inherited_order_refusal,
    merge_over_base,
    section_at,
    valid_with_default_order,
)
from sim.yamlsafe import YamlLimitError, _LimitedLoader

EXAMPLE = "collections.collectors.count=20"


def read_value(raw: str) -> Any:
    """A ``--set`` value: YAML (1.1, as config files) with numbers in scientific notation read
    as floats, also inside lists and mappings; quoted text stays text (``"1e3"``).

    Examples: ``1e3`` -> 1000.0, ``-1E+4`` -> -10000.0, ``[1e3, x]`` -> [1000.0, "x"],
    ``20`` -> 20, ``0x10`` -> 16 (YAML 1.1's hexadecimal, as before).

    Raises:
        yaml.YAMLError: text that is not YAML, or beyond `sim.yamlsafe.LIMITS`.
    """
    loader = _LimitedLoader(raw)  # as config files: scientific notation is a number
    try:
        return loader.get_single_data()
    except RecursionError:
        raise YamlLimitError("values are nested too deeply") from None
    finally:
        loader.dispose()


def parse_setting(text: str) -> tuple[list[str], Any]:
    """Split ``KEY=VALUE`` into the key's parts and the value read by `read_value`.

    Raises:
        ConfigError: no ``=``, an empty key or key part, or a value that is not YAML.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: write KEY=VALUE, e.g. --set {EXAMPLE}")
    parts = key.split(".")
    if any(not p.strip() for p in parts):
        raise ConfigError(f"--set {text!r}: the key {key!r} has an empty part; keys are "
                          f"dotted paths such as {EXAMPLE.partition('=')[0]}")
    try:
        value = read_value(raw) if raw.strip() else ""
    except Exception as exc:  # noqa: BLE001 - yaml's errors and the limits' alike
        raise ConfigError(f"--set {text!r}: the value {raw!r} is not a YAML value "
                          f"({str(exc).splitlines()[0]})") from None
    return [p.strip() for p in parts], value


def _key_in(node: dict, part: str) -> Any:
    """The key of the mapping ``node`` that the dotted key part ``part`` names: the text
    itself, or an integer key written as its decimal text (``spending.plan_mix.3`` names
    the plan term 3, a mapping keyed by numbers); None when there is none."""
    if part in node:
        return part
    return next((k for k in node if isinstance(k, int) and not isinstance(k, bool)
                 and str(k) == part), None)


def _key_order(key: Any) -> tuple:
    """Numbers first, in order (``0, 3, 6, 12``), then text."""
    number = isinstance(key, int | float) and not isinstance(key, bool)
    return (0, key, "") if number else (1, 0, str(key))


def _child(node: Any, part: str, done: list[str], text: str) -> tuple[Any, Any]:
    """The key ``part`` names in a mapping or list of the config and its item, or a
    ConfigError naming what is there instead."""
    where = ".".join(done) or "the config"
    if isinstance(node, dict):
        key = _key_in(node, part)
        if key is not None:
            return key, node[key]
        keys = [str(k) for k in sorted(node, key=_key_order)]
        close = [k for k in difflib.get_close_matches(part, keys, n=3) if k != part]
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ConfigError(f"--set {text!r}: {where} has no key {part!r}; {hint}its keys are: "
                          f"{', '.join(keys)}" + _whole_mapping_hint(done, node))
    if isinstance(node, list):
        if part.isdigit() and int(part) < len(node):
            return int(part), node[int(part)]
        raise ConfigError(f"--set {text!r}: {where} is a list of {len(node)} item(s); give "
                          f"a position 0-{len(node) - 1}, not {part!r}")
    raise ConfigError(f"--set {text!r}: {where} is a single value ({node!r}); it has no "
                      f"part {part!r}")


def _whole_mapping_hint(done: list[str], node: dict) -> str:
    """For a mapping that is one value (``spending.plan_mix``), not a section: how to give
    it a new key (set the whole mapping)."""
    if not done or section_at(RunConfig, done) is not None:
        return ""
    example = ", ".join(f"{k}: ..." for k in sorted(node, key=_key_order)[:2])
    return (f" (to give it other keys, set the whole mapping: --set "
            f"'{'.'.join(done)}={{{example}}}')")


def _assign(data: dict, parts: list[str], value: Any, text: str, whole: bool = False) -> None:
    """Set ``value`` at the key path ``parts`` of the JSON-form config ``data``, as a config
    file's value meets its base's (:func:`sim.configfile.merge_over_base`): a mapping given
    to a section (``book={initial_borrowers: 200}``) merges into it, any other value
    replaces (a mapping that is one value, such as ``spending.plan_mix``, with the file's
    warning when it drops entries); ``whole``: replace all the same (a deal file)."""
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        node = _child(node, part, parts[:i], text)[1]
        if node is None:  # an optional section left out: it starts empty
            raise ConfigError(f"--set {text!r}: {'.'.join(parts[:i + 1])} is not set in this "
                              "config; set the whole section in a config file instead")
    key, old = _child(node, parts[-1], parts[:-1], text)  # the key must exist
    if whole:
        node[key] = value
        return
    where = "".join(f"{p}." for p in parts[:-1])
    node[key] = merge_over_base({key: old}, {key: value}, section_at(RunConfig, parts[:-1]),
                                where=where, source=f"--set {text!r}", over="the config's")[key]


def _given_keys(parts: list[str], value: Any) -> set[str]:
    """The dotted keys a setting gives: its own, and those inside a mapping it gives
    (``macro={scenario: recession}`` gives ``macro`` and ``macro.scenario``)."""
    key = ".".join(parts)
    keys = {key}
    if isinstance(value, dict):
        for k, v in value.items():
            keys |= _given_keys([key, str(k)], v)
    return keys


def _deal_file(name: str, text: str) -> dict:
    """The deal ``--set deal=NAME`` names: a deal file, or a shipped deal's name (as
    ``deal: card_trust`` in a config file and ``--deal card_trust``), read and checked as
    ``--deal`` reads it (:func:`_read_deal`)."""
    try:
        return _read_deal(name)
    except ConfigError as err:
        raise ConfigError(f"--set {text!r}: {err}") from None


def _read_deal(name: str) -> dict:
    """The terms of the deal file or shipped deal ``name``, as read, checked to be a deal
    and not a run config; a deal file's warnings are said once it is known to be one.

    Raises:
        ConfigError: a file that is not there, cannot be read, or is not a deal.
    """
    from sim.config import Deal, read_deal_yaml
    from sim.configfile import config_file_as_deal
    from sim.shipped import resolve_deal

    with warnings.catch_warnings(record=True) as said:  # said only if it is a deal file
        warnings.simplefilter("always")
        terms = read_deal_yaml(Path(resolve_deal(name)))
    wrong = config_file_as_deal(terms, RunConfig, Deal, name)
    if wrong:
        raise ConfigError(wrong)
    for w in said:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return terms


def apply_settings(config: RunConfig, settings: list[str] | None) -> RunConfig:
    """``config`` with every ``KEY=VALUE`` of ``settings`` applied, validated as a whole.

    Later settings of the same key win. A mapping given to a section merges into it, as a
    config file's over its base (:func:`_assign`). ``deal=NAME`` takes a deal file or a
    shipped deal's name, as ``deal:`` does in a config file, and replaces the whole deal.
    Setting ``macro.scenario`` (also inside ``macro={...}``) without a ``macro.shock...``
    setting drops the old scenario's shock, so that the new scenario's applies (as when a
    config file names a scenario and no shock).

    Raises:
        ConfigError: a malformed setting, a key the config does not have, or a value the
            config's rules refuse (the message names the key and what is allowed).
    """
    if not settings:
        return config
    return settled(copy.deepcopy(config.model_dump(mode="python")), settings, config.name)


def settled(data: dict, settings: list[str] | None, name: str, deal: str | None = None
            ) -> RunConfig:
    """The JSON-form config ``data`` (changed in place) with every ``KEY=VALUE`` of
    ``settings`` applied as :func:`apply_settings` does, validated once as a whole;
    ``name`` and ``deal`` (the ``--deal`` it was given, if any) head a refusal.

    Raises:
        ConfigError: as :func:`apply_settings`.
    """
    settings = settings or []
    parsed = [(text, *parse_setting(text)) for text in settings]
    keys: set[str] = set()
    for text, parts, value in parsed:
        whole = parts == ["deal"] and isinstance(value, str)
        if whole:  # a deal file, as `deal:` names one: a whole deal
            value = _deal_file(value, text)
        _assign(data, parts, value, text, whole)
        keys |= _given_keys(parts, {} if whole else value)
    if "macro.scenario" in keys and not any(k.startswith("macro.shock") for k in keys):
        data["macro"]["shock"] = None
    given = ([f"--deal {deal}"] if deal is not None else []) + [f"--set {t}" for t in settings]
    try:
        return validate_config(data, f"{name} with {' '.join(given)}" if parsed else name)
    except ConfigError as err:
        refusal = _order_refusal(data.get("deal"), keys, parsed)  # the fault, if the order's
        if refusal:
            raise ConfigError(refusal) from None
        if parsed:
            raise _on_one_line(err, parsed, deal) from None
        # name the deal as well as the run config
        raise (ConfigError(f"--deal {deal}: {err}") if deal is not None else err) from None


def _gives(keys: set[str], key: str) -> bool:
    """Whether the dotted ``keys`` a setting gives set ``key`` or something inside it."""
    return any(k == key or k.startswith(f"{key}.") for k in keys)


def _order_refusal(deal: Any, keys: set[str], parsed: list[tuple[str, list[str], Any]]
                   ) -> str | None:
    """The refusal of settings that give the deal new notes and keep the priority of
    payments the config's deal wrote out for its own, when that is the deal's only fault
    (``keys``: the dotted keys the settings give); None otherwise."""
    if not isinstance(deal, dict) or not _gives(keys, "deal.notes"):
        return None
    from sim.abs.deal import STATES, Deal, notes_unknown_to_order

    kept = tuple(s for s in STATES if not _gives(keys, f"deal.priority_of_payments.{s}")
                 and "deal.priority_of_payments" not in keys)
    unknown = notes_unknown_to_order(deal, kept)
    if not (unknown and valid_with_default_order(Deal, deal)):
        return None
    text = next(t for t, parts, value in reversed(parsed)
                if _gives(_given_keys(parts, value), "deal.notes"))
    return f"--set {text!r}: " + inherited_order_refusal(
        "deal.", unknown, deal, f"the config's deal ({deal.get('name')})",
        "add --set deal.priority_of_payments=null")


def deal_section(deal: str) -> dict | None:
    """The deal ``--deal`` names, as the config's ``deal`` section: the terms of the deal
    file or shipped deal ``deal`` (as read, checked to be a deal and not a run config), or
    None for 'none'.

    Raises:
        ConfigError: an empty name, a file that is not there, or a file that is not a deal
            (a run config given as one included).
    """
    if not deal.strip():
        raise ConfigError("--deal '': give a deal file, e.g. configs/deals/baitiao_2015.yaml, "
                          "or 'none' to run without a deal")
    return None if deal == "none" else _read_deal(deal)


def set_path(data: dict, key: str, value: Any) -> None:
    """Set ``data[a][b][0][c] = value`` for ``key = "a.b.0.c"``; the key must exist."""
    parts = key.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif last in node:
        node[last] = value
    else:
        raise ConfigError(f"{key}: not a key of this config")


def configure(config: str | Path | RunConfig, deal: str | None = None,
              settings: list[str] | None = None,
              book_share: float | None = None) -> str | Path | RunConfig:
    """``creditsim run CONFIG --deal DEAL --book-share FRACTION --set KEY=VALUE ...``: the
    config file (or shipped config, or the config already read from it) ``config`` with its
    deal replaced by :func:`deal_section` of ``deal`` (when given), its book scaled to
    ``book_share`` of its own with the collectors' day (:func:`sim.config.scaled_book`, as the
    dashboard's Launch page scales it; when given), then ``settings`` applied
    (:func:`apply_settings`: a setting wins over the scaled book), validated once at the end:
    a setting may make the config fit the deal (``--set book.horizon_months=72`` for a deal
    that needs a longer horizon). ``config`` unchanged when none is given.

    Raises:
        ConfigError: as :func:`deal_section` and :func:`apply_settings`; a refusal names the
            config, the deal and the settings.
        ValueError: ``book_share`` outside (0, 1].
    """
    if deal is None and not settings and book_share is None:
        return config
    from sim.config import load_config, scaled_book

    cfg = load_config(config)
    data = cfg.model_dump(mode="python")
    if deal is not None:
        data["deal"] = deal_section(deal)
    if book_share is not None:
        for key, value in scaled_book(cfg, book_share).items():
            set_path(data, key, value)
    return settled(data, settings, cfg.name, deal)


def unscaled_collectors(base: RunConfig, given: RunConfig,
                        settings: list[str] | None = None) -> str:
    """A note when ``given`` runs a book of another size than its file ``base`` with the same
    human collectors: the team's capacity per borrower changes with the book (a book a fifth
    the size leaves the collectors five times less busy), which a comparison of staffing or
    of the ladder would read as a policy effect. Empty when the book's size or the team
    changed together (a setting of ``settings`` names the team, or ``--book-share`` scaled
    its day: :func:`configure`), or no ladder rung calls on the collectors.

    The book's size is the borrowers onboarded by the last month both run (the first month's
    book, then new borrowers in each later month; :attr:`RunConfig.capacity` when the
    horizons agree): a shorter or longer horizon alone leaves the book the same in every
    month both run, and the team as busy.
    A smaller book is advised ``--book-share``, or the team's day scaled
    (:func:`sim.config.scaled_collectors`): one whole collector on a book a thirtieth the
    size would still be many times the config's staffing per borrower; a larger one,
    proportionally more collectors.
    """
    if any(s.split("=", 1)[0].strip().startswith("collections.collectors")
           for s in settings or ()):
        return ""  # the user chose the team
    team = given.collections.collectors.count
    if (not given.collections.employs_collectors() or team == 0
            or given.collections.collectors != base.collections.collectors):
        return ""  # no calls, or the team changed with the book (--book-share)
    months = min(given.book.horizon_months, base.book.horizon_months)
    ratio = given.borrowers_by(months) / max(base.borrowers_by(months), 1)
    if 0.8 <= ratio <= 1.25:
        return ""
    if ratio < 1:  # fewer whole collectors would still be too many: each one's day shrinks
        from sim.config import scaled_collectors

        day = scaled_collectors(given.collections.collectors, ratio)
        keep = ("run a share of the config's book with --book-share FRACTION in place of "
                "setting its borrowers (the borrowers at launch and each month and each "
                "collector's day shrink together, as on the dashboard's Launch page), or keep "
                "this book and shrink each collector's day with it: add --set "
                f"collections.collectors.calls_per_day={day['calls_per_day']} --set "
                f"collections.collectors.monthly_cost={day['monthly_cost']:.2f}")
    else:
        keep = f"add --set collections.collectors.count={round(team * ratio)}"
    return (f"note: the book is {ratio:.2g} times the size of {base.name}'s, with the same "
            f"{team} human collectors: the team is {'less' if ratio < 1 else 'more'} busy "
            f"than the config's, and queues, waits, what collectors achieve and their cost "
            f"per borrower change with it; to keep the config's calls and cost per "
            f"borrower, {keep}")


def with_deal(config: str | Path, deal: str | None) -> str | Path | RunConfig:
    """``--deal``: the config, with its deal replaced by the deal file or shipped deal
    ``deal`` ('none' removes it); the config unchanged when ``deal`` is None
    (:func:`configure` without settings).

    Raises:
        ConfigError: as :func:`deal_section`, or a deal the config's rules refuse (the
            message names the deal).
    """
    return configure(config, deal)


def _on_one_line(err: ConfigError, parsed: list[tuple[str, list[str], Any]],
                 deal: str | None = None) -> ConfigError:
    """A refusal of one value as one line naming the setting that gave it, as a bad key's:
    ``--set 'collections.collectors.count=x': collections.collectors.count = 'x': Input
    should be a valid integer...``; when no setting's key is named, every setting and the
    ``--deal`` (if any). Several errors keep the config file's form, a line each."""
    lines = str(err).splitlines()
    if len(lines) != 2:
        return err
    detail = lines[1].strip()
    named = [text for text, parts, _ in parsed
             if re.match(re.escape(".".join(parts)) + r"[ .:]", detail)]
    given = [f"--set {text!r}" for text in named[-1:]]  # the last of a key is applied
    if not given:
        given = ([f"--deal {deal}"] if deal is not None else []) + \
            [f"--set {text!r}" for text, _, _ in parsed]
    return ConfigError(" ".join(given) + f": {detail}")


def _stored_overrides(folder: Path) -> dict | None:
    """The overrides recorded in a run folder (its progress record, else its manifest); None
    when neither can be read (the command that reads the folder then says why)."""
    from sim.store import MANIFEST, PROGRESS

    for name in (PROGRESS, MANIFEST):
        try:
            record = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(record, dict):
            origin = record.get("origin", record)
            overrides = origin.get("overrides") if isinstance(origin, dict) else None
            if isinstance(overrides, dict):
                return overrides
    return None


def stored_run_refusal(resume: str | None) -> str:
    """Why ``--set`` is refused with ``--resume RUN_DIR`` (``resume``) or, ``resume`` None,
    with ``--from-manifest RUN``: a stored run keeps the config it was started with, its own
    ``--set`` overrides included (they are recorded in the run, so the plain command repeats
    them). Names the recorded overrides when the folder's record can be read."""
    if resume is None:
        return ("--set changes the config of a new run; --from-manifest reruns the stored run "
                "exactly, with the overrides recorded in its manifest: give no --set (to "
                "change a value, run the config file with --set)")
    overrides = _stored_overrides(Path(resume))
    if overrides:
        recorded = ("its overrides ("
                    + ", ".join(f"{k}={json.dumps(v)}" for k, v in overrides.items())
                    + ") are recorded in the run")
    elif overrides is None:
        recorded = "any --set overrides it was started with are recorded in the run"
    else:
        recorded = "it was started without overrides"
    return (f"--set changes the config of a new run; {resume} continues with the config it was "
            f"started with ({recorded}): continue it with 'creditsim run --resume {resume}' "
            "and no --set, or start a new run with --set")


def traced_run_refusal(folder: str | Path) -> str:
    """Why ``creditsim trace RUN_DIR --set`` is refused: a stored run's borrower is traced
    with the config the run was made with (its overrides included), so that the trace is the
    run's; a changed config is traced from its file. Names the recorded overrides when the
    folder's record can be read."""
    overrides = _stored_overrides(Path(folder))
    if overrides:
        recorded = ("with its overrides ("
                    + ", ".join(f"{k}={json.dumps(v)}" for k, v in overrides.items()) + ")")
    elif overrides is None:
        recorded = "with any --set overrides recorded in the run"
    else:
        recorded = "which had no overrides"
    return (f"--set changes a config; {folder} is a stored run, traced with the config it was "
            f"run with ({recorded}): trace it without --set, or trace a config file with --set")
