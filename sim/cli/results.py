"""``sim export`` and ``sim diff``: a finished batch's tables as a workbook or CSV files; two batches compared."""

from __future__ import annotations

import argparse

from sim.analysis import results

from .printing import print_table, stages


def export(args: argparse.Namespace) -> int:
    if not (args.xlsx or args.csv):
        raise ValueError("say what to write: --xlsx FILE.xlsx and/or --csv FOLDER")
    say = stages("sim export")
    say(f"reading {args.folder}" + ("" if args.no_steps else " with its weekly series"))
    loaded = results.load(args.folder, steps=not args.no_steps)
    for path in results.export(loaded, xlsx=args.xlsx, csv=args.csv, progress=say):
        print(f"-> {path}")
    return 0


def diff(args: argparse.Namespace) -> int:
    if args.structures:  # two structures of one batch
        one = results.load(args.a, steps=False)
        a, b = results.within(one, *args.structures)
        sides = (f"A = {args.structures[0]}, B = {args.structures[1]}, both in {args.a} "
                 f"({one.manifest['scenario'].get('name')})")
    else:
        a, b = results.load(args.a, steps=False), results.load(args.b, steps=False)
        sides = (f"A = {args.a} ({a.manifest['scenario'].get('name')}), "
                 f"B = {args.b} ({b.manifest['scenario'].get('name')})")
    table = results.diff(a, b, allow_different=args.allow_different)
    keys = [c for c in table.columns if c not in ("outcome", "n_a", "n_b", "mean_a", "mean_b", "difference",
                                                  "ci95_low", "ci95_high", "interval", "differs", "only_in")]
    print(f"{sides}; B - A per group, 95 % CI (paired where the runs share seeds, else Welch); * = the CI excludes 0")
    both = table[table["only_in"] == ""]
    rows = [[" ".join(str(r[k]) if str(r[k]) else "(no measures)" for k in keys), r["outcome"].replace("_", " "),
             f"{r['mean_a']:.3f}", f"{r['mean_b']:.3f}", f"{r['difference']:+.3f}",
             f"[{r['ci95_low']:+.3f}, {r['ci95_high']:+.3f}]" + (" *" if r["differs"] else ""), r["interval"]]
            for _, r in both.iterrows()]
    print_table(["group (" + ", ".join(keys) + ")", "criterion", "A", "B", "B - A", "95 % CI", "interval"], rows,
                 right=(2, 3, 4))
    for side in ("A", "B"):
        alone = table[table["only_in"] == side]
        if len(alone):
            print(f"only in {side}: " + "; ".join(" ".join(str(r[k]) for k in keys) for _, r in alone.iterrows()))
    if args.save:
        table.to_csv(args.save, index=False)
        print(f"-> {args.save}")
    return 0
