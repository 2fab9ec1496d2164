#!/usr/bin/env python3
"""Writes the speed table of a results file (bench/run.py's JSON) into README.md, between the
<!-- bench:begin --> and <!-- bench:end --> markers of its "Speed" section, so that every speed
and memory figure in the README is one the bench measured. Usage: update_readme.py RESULTS.json [README]"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import table  # noqa: E402

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    readme = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(HERE), "README.md")
    with open(sys.argv[1]) as f:
        results = json.load(f)
    with open(readme) as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit(f"update_readme: {readme} has no {BEGIN} ... {END} markers")
    source = os.path.relpath(os.path.abspath(sys.argv[1]), os.path.dirname(os.path.abspath(readme)))
    body = table.markdown(results) + f"\n(From `{source}`, written by `make bench`.)\n"
    text = text[:start + len(BEGIN)] + "\n" + body + text[end:]
    with open(readme, "w") as f:
        f.write(text)
    print(f"update_readme: {readme} now shows {source}")


if __name__ == "__main__":
    main()
