"""The markdown table of a results file (bench/run.py writes it beside the JSON; bench/update_readme.py
puts it into the README), so the numbers a reader sees are exactly the ones measured."""
import math

SCALES = {  # unit -> (factor from the stored unit, shown unit); stored: seconds, MB, per second
    "s": (1, "s"), "ms": (1, "ms"), "us": (1, "µs"), "mb": (1 / 1024, "GB"), "per_s": (1, "/s"),
}


def number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    magnitude = abs(value)
    digits = 3 if magnitude < 0.1 else 2 if magnitude < 10 else 1 if magnitude < 100 else 0
    return f"{value:.{digits}f}"


def quantity(side, unit, runs):
    factor, shown = SCALES[unit]
    text = f"{number(side['median'] * factor)} {shown}"
    if runs > 1:
        text += f" ({number(side['min'] * factor)}-{number(side['max'] * factor)})"
    return text


def ratio(row):
    text = f"{row['ratio']:.2f}x" if not math.isnan(row["ratio"]) else "n/a"
    if row["rounds"] > 1 and not math.isnan(row["ratio_min"]):
        text += f" ({row['ratio_min']:.2f}-{row['ratio_max']:.2f})"
    return text


def cpu_line(results):
    cpu = results["cpu"]
    flags = ", ".join(name for name, present in cpu["flags"].items() if present) or "none of the relevant flags"
    bf16 = "bf16 in hardware" if cpu["bf16_hardware"] else "no bf16 instructions (bf16 is emulated)"
    return f"{cpu['model']}, {cpu['cores']} cores ({flags}; {bf16})"


def markdown(results):
    runs = results["runs"]
    lines = [
        f"Measured {results['date']} on {cpu_line(results)}; torch {results.get('torch', '?')}, "
        f"{runs} run{'s' if runs != 1 else ''} per side{' (quick mode: small sizes)' if results['quick'] else ''}, "
        f"the whole bench took {results['elapsed_s'] / 60:.0f} min.",
        "Each cell: median (min-max over the runs); ratio: how many times faster (or smaller) segmadiff is, "
        "median of one side over median of the other (range of the per-run ratios).",
        "",
        "| measurement | reference | segmadiff | ratio |",
        "|---|---|---|---|",
    ]
    section = None
    for row in results["rows"]:
        if row.get("section") != section:
            section = row.get("section")
            lines.append(f"| **{section}** | | | |")
        if "error" in row:
            lines.append(f"| {row['label']} | failed: {row['error']} | | |")
            continue
        lines.append(f"| {row['label']} | {quantity(row['reference'], row['unit'], row['rounds'])} "
                     f"| {quantity(row['segmadiff'], row['unit'], row['rounds'])} | {ratio(row)} |")
    notes = results.get("notes", [])
    if notes:
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
    return "\n".join(lines) + "\n"
