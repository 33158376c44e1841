"""results.json (every run so far, by backend and size) -> RESULTS.md."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
MAGIC_RATIO_TARGET = 2.0
SEARCH_TARGET_MS = 50.0
COMMON_TARGET_MS = 20.0
LOAD_EXT_TARGET_MS = 150.0
MEMORY_TARGET_MB = 10.0
FIRST_TARGET_MS = {"show": 400.0, "list": 650.0}
TEAM_RATIO_TARGET = 1.3  # team database / plain one, each call's median
SIZE_NAMES = {10_000: "10k", 100_000: "100k", 1_000_000: "1M"}


def load() -> dict:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {"runs": {}, "load_ext": None, "machine": {}}


def save(data: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _ms(stats: dict | None) -> str:
    if not stats:
        return "-"
    return f"{stats['median_ms']:.1f} / {stats['p95_ms']:.1f}"


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("**met**" if ok else "**missed**")


def _size(n: int) -> str:
    return SIZE_NAMES.get(n, f"{n:,}")


def _runs(data: dict, backend: str) -> list[tuple[int, dict]]:
    found = []
    for key, run in data["runs"].items():
        b, _, n = key.partition("/")
        if b == backend:
            found.append((int(n), run))
    return sorted(found, key=lambda item: item[0])


def _run(data: dict, backend: str, n: int) -> dict | None:
    return data["runs"].get(f"{backend}/{n}")


def targets(data: dict) -> list[str]:
    rows = ["| target | backend | figure | |", "| --- | --- | --- | --- |"]
    for backend in ("sqlite", "postgresql"):
        run = _run(data, backend, 100_000)
        magics = run and run.get("magics")
        if magics:
            ratios = {op["op"]: op["ratio"] for op in magics["ops"]}
            worst = max(ratios, key=ratios.get)
            over = [
                f"{op} {r:.1f}x" for op, r in ratios.items() if r > MAGIC_RATIO_TARGET
            ]
            figure = f"worst {worst}: {ratios[worst]:.1f}x" + (
                f"; over 2x: {', '.join(over)}" if over else ""
            )
            ok = not over
            rows.append(
                f"| each magic <= 2x its floor at 100k | {backend} | {figure} "
                f"| {_met(ok)} |"
            )
            ours, theirs = magics["jupysql_list"], magics["jupysql"]
            if ours and theirs:
                figure = (
                    f"cell {ours['median_ms']:.1f} ms vs {theirs['median_ms']:.1f} ms"
                )
                ok = ours["median_ms"] < theirs["median_ms"]
                call, their_call = magics.get("list_call"), magics.get("jupysql_call")
                if call and their_call:
                    figure += (
                        f"; magic call alone {call['median_ms']:.1f} ms vs "
                        f"{their_call['median_ms']:.1f} ms"
                    )
                    ok = ok and call["median_ms"] < their_call["median_ms"]
                else:
                    figure += "; magic call alone not measured"
                    ok = False
                rows.append(
                    "| `%resource list` faster than jupysql `%sql` at 100k "
                    f"| {backend} | {figure} | {_met(ok)} |"
                )
        else:
            rows.append(
                f"| each magic <= 2x its floor at 100k | {backend} | not run | - |"
            )
    for backend in ("sqlite", "postgresql"):
        run = _run(data, backend, 1_000_000)
        search = run and run.get("search")
        if search:
            worst = max(search["magic"], key=lambda s: search["magic"][s]["median_ms"])
            magic_ms = search["magic"][worst]["median_ms"]
            store_ms = max(s["median_ms"] for s in search["store"].values())
            rows.append(
                f"| rare-term search at 1M <= 50 ms | {backend} | `%resource list -s` "
                f"{magic_ms:.1f} ms ({worst} scope; store call {store_ms:.1f} ms) | "
                f"{_met(magic_ms <= SEARCH_TARGET_MS)} |"
            )
        else:
            rows.append(
                f"| rare-term search at 1M <= 50 ms | {backend} | not run | - |"
            )
        common = search and search.get("common")
        if common:
            worst = max(common, key=lambda scope: common[scope]["median_ms"])
            ms = common[worst]["median_ms"]
            before = search["common_before"][worst]["median_ms"]
            rows.append(
                f"| common-term search at 1M: store call < {COMMON_TARGET_MS:.0f} ms | "
                f"{backend} | {ms:.1f} ms ({worst} scope; {before:.1f} ms counting to "
                f"10,000 as before, same run: {ms / before:.2f}x) | "
                f"{_met(ms < COMMON_TARGET_MS)} |"
            )
        else:
            rows.append(
                f"| common-term search at 1M: store call < {COMMON_TARGET_MS:.0f} ms | "
                f"{backend} | not run | - |"
            )
    for backend in ("sqlite", "postgresql"):
        run = _run(data, backend, 100_000)
        first = run and run.get("first")
        for kind, limit in FIRST_TARGET_MS.items():
            target = f"first `%resource {kind}` in a new kernel <= {limit:.0f} ms"
            if not first:
                rows.append(f"| {target} | {backend} | not run | - |")
                continue
            ms = first[kind]["median_ms"]
            kernel = run.get("first_kernel")
            in_kernel = (
                f"; in a fresh Jupyter kernel {kernel[kind]['median_ms']:.0f} ms, "
                f"jupysql {kernel['jupysql']['median_ms']:.0f} ms"
                if kernel
                else ""
            )
            rows.append(
                f"| {target} | {backend} | {ms:.0f} ms at 100k (p95 "
                f"{first[kind]['p95_ms']:.0f}; jupysql's first `%sql` "
                f"{first['jupysql']['median_ms']:.0f} ms{in_kernel}) | "
                f"{_met(ms <= limit)} |"
            )
    connections = data.get("connections")
    if connections:
        rows.append(
            "| no errors under 10 processes x 5 threads | postgresql | "
            f"{connections['errors']} errors, "
            f"{connections['throughput']:.0f} operations/s | "
            f"{_met(connections['errors'] == 0)} |"
        )
    load_ext = data.get("load_ext")
    if load_ext:
        delta = load_ext["with"]["median_ms"] - load_ext["without"]["median_ms"]
        inside = load_ext.get("inside")
        call = f"; the call itself {inside['median_ms']:.0f} ms" if inside else ""
        rows.append(
            f"| `%load_ext` adds <= 150 ms to a fresh process | both | {delta:+.0f} ms "
            f"({load_ext['without']['median_ms']:.0f} -> "
            f"{load_ext['with']['median_ms']:.0f} ms{call}) "
            f"| {_met(delta <= LOAD_EXT_TARGET_MS)} |"
        )
    for backend in ("sqlite", "postgresql"):
        small = _run(data, backend, 10_000)
        big = _run(data, backend, 1_000_000)
        if small and big and small.get("memory") and big.get("memory"):
            parts, ok = [], True
            for what in ("list", "browser"):
                a, b = small["memory"][what] / 1e6, big["memory"][what] / 1e6
                ok = ok and (b - a) <= MEMORY_TARGET_MB
                parts.append(f"{what} {a:.1f} -> {b:.1f} MB")
            rows.append(
                f"| page memory at 1M within 10 MB of 10k | {backend} | "
                f"{'; '.join(parts)} | {_met(ok)} |"
            )
        else:
            rows.append(
                f"| page memory at 1M within 10 MB of 10k | {backend} | not run | - |"
            )
    rows += _team_targets(data.get("team"))
    return rows


def _team_targets(team: dict | None) -> list[str]:
    if not team:
        return []
    bad = {k: v for k, v in team["invariants"].items() if _breaks(k) and v}
    ratios = {op: pair["ratio"] for op, pair in team["compare"].items()}
    over = [f"{op} {r:.2f}x" for op, r in ratios.items() if r > TEAM_RATIO_TARGET]
    worst = max(ratios, key=ratios.get)
    size = _size(team["count"])
    return [
        f"| no errors, every invariant holding: {team['members']} members at once, "
        f"{size} (issue 16) | postgresql | {team['errors']} errors, "
        f"{team['throughput']:.0f} operations/s, "
        + (", ".join(f"{k}: {v}" for k, v in bad.items()) or "invariants hold")
        + f" | {_met(not team['errors'] and not bad)} |",
        f"| team database within {TEAM_RATIO_TARGET}x of a plain one, {size} "
        f"(issue 16) | postgresql | worst {worst}: {ratios[worst]:.2f}x"
        + (f"; over: {', '.join(over)}" if over else "")
        + f" | {_met(not over)} |",
    ]


def _breaks(invariant: str) -> bool:
    """An invariant's count of offending rows (the others are totals)."""
    return any(w in invariant for w in ("!=", ">", " not ", "failures"))


def _team_section(team: dict | None, notes: str | None) -> list[str]:
    if not team:
        return []
    refused = ", ".join(f"{op} {n}" for op, n in sorted(team["refused"].items()))
    refused = refused or "none"
    out = [
        "## Team database under load (issue 16, benchmarks/team_load.py)",
        "",
        f"`python -m benchmarks.team_load --count {team['count']} "
        f"--seconds {team['seconds']:.0f}`: {_size(team['count'])} resources in a "
        "team database (row-level security) and in a plain one on the same server, "
        "the same data and shares in both.",
        "",
        f"Team against plain, interleaved ({team['repeat']} pairs), as one member "
        f"(its own login on the team database); {team['compare_context']}:",
        "",
        team["compare_markdown"],
        "",
        "The statements of `list`, EXPLAIN ANALYZE'd (median execution time in the "
        "server, warm connections; the member on the team database, the superuser "
        "on the plain one):",
        "",
        team.get("explain_markdown", "-"),
        "",
        f"{team['members']} members at once, each its own login and connection; "
        f"{team['load_context']}; refusals of tokens past their limit (expected): "
        + refused
        + ".",
        "",
        team["load_markdown"],
        "",
        "Afterwards, through the admin's connection:",
        "",
        "| invariant / total | rows |",
        "| --- | ---: |",
        *(f"| {k} | {v:,} |" for k, v in team["invariants"].items()),
        "",
    ]
    if notes:
        out += [notes, ""]
    return out


def render(data: dict) -> str:
    m = data.get("machine", {})
    out = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks` (the README's Benchmarks section).",
        "Times are wall-clock milliseconds, **median / p95**; each magic figure is",
        "a whole notebook cell through a real IPython `InteractiveShell` (display",
        "of the result included). benchmarks/magics.py says what each floor runs.",
        "",
        f"- date: {m.get('date', '-')}",
        f"- machine: {m.get('cpu', '-')}, {m.get('cores', '-')} cores, "
        f"{m.get('memory_gb', '-')} GB RAM, {m.get('os', '-')}",
        f"- load average while measuring: {m.get('load', '-')} "
        "(the machine is shared: figures are noisy, ratios are interleaved pairs)",
        f"- versions: {m.get('versions', '-')}",
        "",
        "## Targets",
        "",
        *targets(data),
        "",
    ]
    out += [
        "## Seeding (executemany + one FTS pass on SQLite, COPY on PostgreSQL)",
        "",
    ]
    out += [
        "| backend | resources | seconds | rows/s | when |",
        "| --- | --- | --- | --- | --- |",
    ]
    for backend in ("sqlite", "postgresql"):
        for n, run in _runs(data, backend):
            seed = run.get("seed")
            if seed:
                out.append(
                    f"| {backend} | {_size(n)} | {seed['seconds']:.1f} | "
                    f"{n / seed['seconds']:,.0f} | {seed.get('context', '-')} |"
                )
    out.append("")
    for backend in ("sqlite", "postgresql"):
        for n, run in _runs(data, backend):
            magics = run.get("magics")
            if not magics:
                continue
            out += [
                f"## Magics on {backend}, {_size(n)} resources",
                "",
                "No-op registered magic (IPython's own share): "
                f"{_ms(magics['noop'])} ms. "
                f"{magics['repeat']} interleaved repetitions each; measured "
                f"{magics.get('context', '-')}.",
                "",
                "| cell | magic | floor | magic / floor |",
                "| --- | --- | --- | --- |",
            ]
            for op in magics["ops"]:
                out.append(
                    f"| `{op['source'].splitlines()[0]}` | {_ms(op['magic'])} | "
                    f"{_ms(op['floor'])} | {op['ratio']:.2f} |"
                )
            if magics.get("jupysql"):
                ours_ms = magics["jupysql_list"]["median_ms"]
                out += [
                    "",
                    "Peer: jupysql `%sql` (autopandas) page of 50: "
                    f"{_ms(magics['jupysql'])} ms; `%resource list` in the same "
                    f"interleaved run: {_ms(magics['jupysql_list'])} ms (ours / "
                    f"jupysql = {ours_ms / magics['jupysql']['median_ms']:.2f}).",
                ]
                if magics.get("jupysql_call"):
                    call_ms = magics["list_call"]["median_ms"]
                    out.append(
                        "The magic call alone (`shell.run_line_magic`, the DataFrame "
                        f"returned, nothing displayed): jupysql "
                        f"{_ms(magics['jupysql_call'])} ms, `%resource list` "
                        f"{_ms(magics['list_call'])} ms (ours / jupysql = "
                        f"{call_ms / magics['jupysql_call']['median_ms']:.2f})."
                    )
            out.append("")
    out += ["## Search worst case (rare term)", ""]
    out += [
        "| backend | size | scope | found | store call | `%resource list -s` cell "
        "| plain scan (no index) | when |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for backend in ("sqlite", "postgresql"):
        for n, run in _runs(data, backend):
            search = run.get("search")
            if not search:
                continue
            for scope in ("mine", "public"):
                out.append(
                    f"| {backend} | {_size(n)} | {scope} | {search['found'][scope]} | "
                    f"{_ms(search['store'][scope])} | {_ms(search['magic'][scope])} | "
                    f"{_ms(search['scan'][scope])} | {search.get('context', '-')} |"
                )
    out += [
        "",
        "The plain scan column is the same LIKE with no index to help: on",
        "PostgreSQL it is what a server without pg_trgm (pgserver's build) runs.",
        "",
        "## Search, common term (in a third of the rows)",
        "",
        "Store call; before: the same call counting to 10,000 with PostgreSQL free",
        "to use the trigram index (as before issue 17), interleaved in the same run.",
        "",
        "| backend | size | scope | total shown | store call | before | ratio | when |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for backend in ("sqlite", "postgresql"):
        for n, run in _runs(data, backend):
            search = run.get("search")
            if not search or not search.get("common"):
                continue
            for scope in ("mine", "public"):
                ours, before = search["common"][scope], search["common_before"][scope]
                out.append(
                    f"| {backend} | {_size(n)} | {scope} | "
                    f"{search['common_total'][scope]} | {_ms(ours)} | {_ms(before)} | "
                    f"{ours['median_ms'] / before['median_ms']:.2f}x | "
                    f"{search.get('context', '-')} |"
                )
    out.append("")
    load_ext = data.get("load_ext")
    if load_ext:
        out += [
            "## `%load_ext resource_magic` in a fresh process",
            "",
            "| `ipython -c` | whole process |",
            "| --- | --- |",
            f"| `pass` | {_ms(load_ext['without'])} |",
            f"| `%load_ext resource_magic` | {_ms(load_ext['with'])} |",
            "",
            "The whole-process difference is within the noise of a shared machine;",
            "timed inside each fresh process, the `%load_ext resource_magic` call",
            f"itself takes {_ms(load_ext.get('inside'))} ms.",
            "",
        ]
    first_rows = [
        f"| {backend} | {_size(n)} | {where} | {_ms(run[field]['show'])} | "
        f"{_ms(run[field]['list'])} | {_ms(run[field].get('browse'))} | "
        f"{_ms(run[field]['jupysql'])} | "
        f"{run[field].get('context', '-')} |"
        for backend in ("sqlite", "postgresql")
        for n, run in _runs(data, backend)
        for field, where in (
            ("first", "bare IPython"),
            ("first_kernel", "Jupyter kernel"),
        )
        if run.get(field)
    ]
    if first_rows:
        out += [
            "## First command in a new kernel (fresh processes)",
            "",
            "Timed inside each fresh process, from `%load_ext resource_magic` to",
            "the end of the first cell (display included) on an up-to-date",
            "database: what that cell costs over a bare IPython (`ipython -c`),",
            "and over a fresh Jupyter kernel (ipykernel, which has already",
            "imported asyncio, ssl and importlib.metadata, part of SQLAlchemy's",
            "own import). The first `%resource browse` imports ipywidgets, builds",
            "the browser and draws its first page. jupysql: `%load_ext sql`,",
            "connect, then its first `%sql` page of 50 as a DataFrame, interleaved",
            "with ours.",
            "",
            "| backend | size | in | first `%resource show` | first `%resource list` "
            "| first `%resource browse` | jupysql first `%sql` | when |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            *first_rows,
            "",
        ]
    connections = data.get("connections")
    if connections:
        out += [
            "## Many kernels on one PostgreSQL (benchmarks/connections.py)",
            "",
            "A mixed load (save, list, search, show, open, fork, share) from forked",
            f"processes, on the {_size(connections['size'])} database; measured "
            f"{connections['context']}.",
            "",
            connections["markdown"],
            "",
        ]
    out += _team_section(data.get("team"), data.get("team_notes"))
    out += ["## Peak memory of the first page (tracemalloc)", ""]
    out += [
        "| backend | size | `%resource list` | browser first page |",
        "| --- | --- | --- | --- |",
    ]
    for backend in ("sqlite", "postgresql"):
        for n, run in _runs(data, backend):
            memory = run.get("memory")
            if memory:
                out.append(
                    f"| {backend} | {_size(n)} | {memory['list'] / 1e6:.2f} MB | "
                    f"{memory['browser'] / 1e6:.2f} MB |"
                )
    out.append("")
    plans = []
    for backend in ("sqlite", "postgresql"):
        for n, run in _runs(data, backend):
            search = run.get("search")
            if (
                search
                and search.get("plans")
                and n == max(k for k, _ in _runs(data, backend))
            ):
                for scope, plan in search["plans"].items():
                    plans += [
                        f"{backend}, {_size(n)}, rare term, {scope}:",
                        "",
                        "```",
                        plan,
                        "```",
                        "",
                    ]
    if plans:
        out += ["## Plans of the store's search statements (largest size)", "", *plans]
    notes = data.get("notes")
    if notes:
        out += ["## Notes", "", notes, ""]
    return "\n".join(out)


# Everything from this line on is hand-written (figures from scripts that keep no
# results.json entry, e.g. widget_scale.py, and dated notes): write() keeps it.
HAND_WRITTEN = "<!-- Hand-written below this line: python -m benchmarks keeps it. -->"


def write(data: dict) -> Path:
    kept = ""
    if RESULTS_MD.exists():
        old = RESULTS_MD.read_text()
        if HAND_WRITTEN in old:
            kept = old[old.index(HAND_WRITTEN) :]
    text = render(data)
    RESULTS_MD.write_text(text + ("\n" + kept if kept else ""))
    return RESULTS_MD
