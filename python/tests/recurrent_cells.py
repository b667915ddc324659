"""webppo's recurrent parameters load into torch.nn.LSTM / torch.nn.GRU, driven by test/interop/recurrent.test.ts.

    python3 recurrent_cells.py DIR

For every ``DIR/cell-K.safetensors`` holding a cell's tensors under webppo's names (``<prefix>.weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``) and its inputs ``input.x`` [T, B, in], ``input.h0`` [1, B, H]
(and ``input.c0`` for an LSTM), with ``__metadata__`` ``cell`` and ``prefix``: loads the tensors into a fresh
module with ``load_state_dict(strict=True)`` (so names and shapes must be PyTorch's) and writes its outputs
[T, B, H] to ``cell-K.json``.
"""
import glob
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from webppo import safetensors  # noqa: E402


def main(directory: str) -> None:
    for path in sorted(glob.glob(os.path.join(directory, "cell-*.safetensors"))):
        with open(path, "rb") as f:
            tensors, metadata = safetensors.read(f.read())
        prefix = metadata["prefix"] + "."
        x = torch.from_numpy(np.array(tensors["input.x"], dtype=np.float64))
        state = {k[len(prefix):]: torch.from_numpy(np.array(v, dtype=np.float64)) for k, v in tensors.items() if k.startswith(prefix)}
        size = state["weight_hh_l0"].shape[1]
        module = (torch.nn.LSTM if metadata["cell"] == "lstm" else torch.nn.GRU)(x.shape[2], size).double()
        module.load_state_dict(state, strict=True)
        h0 = torch.from_numpy(np.array(tensors["input.h0"], dtype=np.float64))
        with torch.no_grad():
            if metadata["cell"] == "lstm":
                c0 = torch.from_numpy(np.array(tensors["input.c0"], dtype=np.float64))
                out, _ = module(x, (h0, c0))
            else:
                out, _ = module(x, h0)
        with open(path.replace(".safetensors", ".json"), "w") as f:
            json.dump(out.reshape(-1).tolist(), f)


if __name__ == "__main__":
    main(sys.argv[1])
