"""Execute one notebook with nbclient (what `jupyter nbconvert --execute` runs) and report each code
cell as it starts and ends, as JSON lines on stdout, so `deno task notebooks` can show which cell runs
and for how long. Usage: execute_notebook.py IN.ipynb OUT.ipynb TIMEOUT_S KERNEL. Run by
src/cli/notebooks.ts with the Python interpreter of the `jupyter` on PATH."""
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def emit(**event):
    print(json.dumps(event), flush=True)


def main(source, target, timeout, kernel):
    nb = nbformat.read(source, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started = {}

    # nbclient calls the hooks for every cell, markdown ones included: only code cells are reported.
    def on_start(cell, cell_index, **_):
        if cell_index not in code:
            return
        started[cell_index] = time.time()
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        emit(event="cell", number=code.index(cell_index) + 1, of=len(code), source=first[:120])

    def on_executed(cell, cell_index, **_):
        if cell_index not in code:
            return
        emit(event="done", number=code.index(cell_index) + 1, of=len(code),
             seconds=time.time() - started.get(cell_index, time.time()))

    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}})
    client.on_cell_start = on_start
    client.on_cell_executed = on_executed
    try:
        client.execute()
    except CellExecutionError as e:
        # Keep what ran, so the failing cell's output can be read.
        nbformat.write(nb, target)
        print(str(e), file=sys.stderr)
        sys.exit(1)
    nbformat.write(nb, target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
