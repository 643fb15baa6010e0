#!/usr/bin/python3
"""Golden values from PyTorch for run-sweep's recurrent language models, llm.c style.

    /usr/bin/python3 scripts/dump_golden.py [out_dir=test/golden]

Writes one small JSON file per case (cell x variant) under test/golden/: the weights in
run-sweep's fused layout (src/train/layout.ts: layerL.fwd|bwd.W_x [in, G*h], W_h [h, G*h],
b [G*h], head.W [dirs*h, vocab], head.b [vocab]), the input and target ids (row-major
[batch, steps], as a Batch holds them), the initial state, the logits (time-major rows
t*batch + b), the mean cross-entropy, the final state, every gradient, the global gradient norm
and the weights after one SGD step with d2l's clipping (theta = 1). test/golden-*.test.ts load the
weights into RnnLM and match all of it on every engine path.

Everything is computed in float64 from float32-representable inputs, so the golden values are
the exact math and the engine's float32 error is all the tests see.

How PyTorch's modules map onto run-sweep's layout:
  * W_x = weight_ih_l{k}[_reverse].T and W_h = weight_hh_l{k}[_reverse].T (PyTorch computes
    W x, run-sweep x W); the gate blocks are in the same order: LSTM i, f, g(c~), o; GRU r, z, n.
  * run-sweep has one bias per layer and direction (d2l's from-scratch cells), PyTorch two,
    b_ih and b_hh. Forward and gradient are the same with b = b_ih + b_hh, but one SGD step moves
    b_ih and b_hh by lr*g each (the sum by 2*lr*g), and the global norm that clipping uses counts
    that gradient twice. So the golden holds b_hh at zero, without a gradient, and b is b_ih.
  * rnn (tanh) and lstm run on torch.nn.RNN / torch.nn.LSTM themselves.
  * gru does NOT: run-sweep's GRU is d2l 9.1's,
        H~_t = tanh(X_t W_xh + (R_t * H_{t-1}) W_hh + b_h),
    where PyTorch's nn.GRU computes
        n_t  = tanh(W_in x_t + b_in + R_t * (W_hn h_{t-1} + b_hn)),
    the reset gate applied after the recurrent product (and to its bias), not before: a
    different function for any weights, b_hn = 0 or not. The gru golden is therefore d2l's
    equations written out in PyTorch ops (gru_layer below) under torch.autograd. The script checks
    that this really differs from nn.GRU with the same weights, so that the note stays true.
  * bidirectional: the backward direction reads the steps last to first; its outputs are put back
    in time order and concatenated after the forward direction's ([fwd | bwd], as PyTorch).
    State index layer*dirs + direction, as PyTorch's h_0 / h_n.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
VOCAB = 10
HIDDEN = 6
BATCH = 3
STEPS = 4
LR = 0.5
THETA = 1.0

CASES = [
    (f"{cell}-{variant}", cell, layers, bidir)
    for cell in ("rnn", "gru", "lstm")
    for variant, layers, bidir in (("single", 1, False), ("deep", 2, False), ("bidirectional", 1, True))
]


def f32(t):
    """float32-representable values, held in float64."""
    return t.to(torch.float32).to(torch.float64)


def uniform(gen, shape, scale):
    return f32((torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * scale)


def gru_layer(x, h0, wx, wh, b, reverse):
    """d2l 9.1's GRU over x [steps, batch, in] with fused weights in run-sweep's layout."""
    h = h0
    hidden = h0.shape[1]
    order = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outputs = [None] * x.shape[0]
    for t in order:
        xw = x[t] @ wx + b
        xr, xz, xh = xw[:, :hidden], xw[:, hidden : 2 * hidden], xw[:, 2 * hidden :]
        r = torch.sigmoid(xr + h @ wh[:, :hidden])
        z = torch.sigmoid(xz + h @ wh[:, hidden : 2 * hidden])
        cand = torch.tanh(xh + (r * h) @ wh[:, 2 * hidden :])
        h = z * h + (1 - z) * cand
        outputs[t] = h
    return torch.stack(outputs), h


def dump_case(name, cell, layers, bidir, seed):
    gen = torch.Generator().manual_seed(seed)
    dirs = 2 if bidir else 1
    g = GATES[cell]
    h = HIDDEN
    # weights in run-sweep's layout and order (parameterLayout)
    params = {}
    for layer in range(layers):
        inputs = VOCAB if layer == 0 else dirs * h
        for d in range(dirs):
            prefix = f"layer{layer}.{('fwd', 'bwd')[d]}"
            params[f"{prefix}.W_x"] = uniform(gen, (inputs, g * h), 1.0)
            params[f"{prefix}.W_h"] = uniform(gen, (h, g * h), 0.8)
            params[f"{prefix}.b"] = uniform(gen, (g * h,), 0.3)
    params["head.W"] = uniform(gen, (dirs * h, VOCAB), 2.0)
    params["head.b"] = uniform(gen, (VOCAB,), 0.3)
    for p in params.values():
        p.requires_grad_(True)

    x_ids = torch.randint(0, VOCAB, (BATCH, STEPS), generator=gen)
    y_ids = torch.randint(0, VOCAB, (BATCH, STEPS), generator=gen)
    state_parts = 2 if cell == "lstm" else 1
    state0 = [uniform(gen, (layers * dirs, BATCH, h), 0.5) for _ in range(state_parts)]

    x = F.one_hot(x_ids.T, VOCAB).to(torch.float64)  # time-major [steps, batch, vocab]

    if cell == "gru":
        inp = x
        final = []
        for layer in range(layers):
            outs = []
            for d in range(dirs):
                prefix = f"layer{layer}.{('fwd', 'bwd')[d]}"
                out, hn = gru_layer(inp, state0[0][layer * dirs + d], params[f"{prefix}.W_x"], params[f"{prefix}.W_h"], params[f"{prefix}.b"], d == 1)
                outs.append(out)
                final.append(hn)
            inp = torch.cat(outs, dim=2)
        body = inp
        final_state = [torch.stack(final)]
        # the note in the docstring: PyTorch's nn.GRU is another function of the same weights
        module = torch.nn.GRU(VOCAB, h, layers, bidirectional=bidir)
        with torch.no_grad():
            copy_weights(module, params, layers, dirs)
            theirs, _ = module(x, state0[0])
        assert (theirs - body).abs().max().item() > 1e-3, "d2l's GRU and nn.GRU agree: revisit the note"
    else:
        module = (torch.nn.RNN(VOCAB, h, layers, nonlinearity="tanh", bidirectional=bidir) if cell == "rnn" else torch.nn.LSTM(VOCAB, h, layers, bidirectional=bidir))
        # PyTorch's own parameters are replaced by views of ours (W.T), so that autograd reports
        # the gradients in run-sweep's layout; b_hh is zero and takes no gradient (see above).
        for layer in range(layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                prefix = f"layer{layer}.{('fwd', 'bwd')[d]}"
                for pname in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    delattr(module, pname + sfx)
                setattr(module, "weight_ih" + sfx, params[f"{prefix}.W_x"].T)
                setattr(module, "weight_hh" + sfx, params[f"{prefix}.W_h"].T)
                setattr(module, "bias_ih" + sfx, params[f"{prefix}.b"])
                setattr(module, "bias_hh" + sfx, torch.zeros(g * h))
        module._flat_weights = [getattr(module, n) for n in module._flat_weights_names]
        if cell == "lstm":
            body, (hn, cn) = module(x, (state0[0], state0[1]))
            final_state = [hn, cn]
        else:
            body, hn = module(x, state0[0])
            final_state = [hn]

    rows = body.reshape(STEPS * BATCH, dirs * h)
    logits = rows @ params["head.W"] + params["head.b"]
    targets = y_ids.T.reshape(-1)  # time-major, d2l's Y.T.reshape(-1)
    loss = F.cross_entropy(logits, targets)
    names = list(params)
    grads = torch.autograd.grad(loss, [params[n] for n in names])
    norm = math.sqrt(sum((gr**2).sum().item() for gr in grads))
    if norm <= THETA:
        return None  # the step would not exercise clipping: main draws again
    scale = THETA / norm
    after = {n: (params[n] - LR * scale * gr).detach() for n, gr in zip(names, grads)}

    def flat(t):
        return [float(f"{v:.10g}") for v in t.detach().reshape(-1).tolist()]

    return {
        "name": name,
        "generator": "scripts/dump_golden.py (PyTorch " + torch.__version__ + ", float64)",
        "model": {"cell": cell, "nonlinearity": "tanh", "hidden_size": h, "num_layers": layers, "bidirectional": bidir, "embedding": "one_hot"},
        "vocab": VOCAB,
        "batch": BATCH,
        "steps": STEPS,
        "lr": LR,
        "clip": THETA,
        "x": x_ids.reshape(-1).tolist(),
        "y": y_ids.reshape(-1).tolist(),
        "state0": [[flat(s[k]) for s in state0] for k in range(layers * dirs)],
        "params": {n: {"shape": list(params[n].shape), "values": flat(params[n])} for n in names},
        "logits": flat(logits),
        "loss": loss.item(),
        "state": [[flat(s[k]) for s in final_state] for k in range(layers * dirs)],
        "grads": {n: flat(gr) for n, gr in zip(names, grads)},
        "gradNorm": norm,
        "after": {n: flat(v) for n, v in after.items()},
    }


def copy_weights(module, params, layers, dirs):
    for layer in range(layers):
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
            prefix = f"layer{layer}.{('fwd', 'bwd')[d]}"
            getattr(module, "weight_ih" + sfx).copy_(params[f"{prefix}.W_x"].T)
            getattr(module, "weight_hh" + sfx).copy_(params[f"{prefix}.W_h"].T)
            getattr(module, "bias_ih" + sfx).copy_(params[f"{prefix}.b"])
            getattr(module, "bias_hh" + sfx).zero_()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "test", "golden")
    os.makedirs(out_dir, exist_ok=True)
    for index, (name, cell, layers, bidir) in enumerate(CASES):
        # the first seed from 1000 + 100*index whose gradient norm exceeds theta, so that the
        # golden step is a clipped one
        seed = 1000 + 100 * index
        while (case := dump_case(name, cell, layers, bidir, seed)) is None:
            seed += 1
        case["seed"] = seed
        path = os.path.join(out_dir, f"{name}.json")
        with open(path, "w") as f:
            json.dump(case, f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: loss {case['loss']:.6f}, gradient norm {case['gradNorm']:.4f}")


if __name__ == "__main__":
    main()
