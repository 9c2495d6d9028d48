"""The README's library example runs as written."""

import contextlib
import io
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs():
    text = README.read_text()
    start = text.index("```python\n") + len("```python\n")
    code = text[start:text.index("```\n", start)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    first = out.getvalue().splitlines()[0]
    values = [float(v) for v in first.strip("tensor([])").split(",")]
    assert max(values) < 0.05  # the printed claim: g* undoes g
