"""Peer for `deno task bench`: time one first-order search step of the IMDN space's supernet (the twin in
src/networks/torch_imdn.py) in PyTorch on CPU, as src/cli/bench.ts's sr presets run it: op weights
softmax(α) [4 · blocks, 12]; the α step (L1 of the validation batch, Adam lr 3e-4, betas (0.5, 0.999), weight
decay 1e-8), then the weight step (L1 of the training batch, Adam lr 5e-4, weight decay 1e-8; SPECS §8b).
The conventions of ../shared/bench/torch_darts_step.py: random inputs, a warm-up step, the mean of --steps
steps, one summary line.

usage: /usr/bin/python3 src/cli/torch_sr_step.py [--C 64] [--blocks 6] [--B 16] [--H 32] [--scale 2]
       [--steps 3] [--threads N]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'networks'))
from torch_imdn import CANDIDATES, Imdn  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--C", type=int, default=64); p.add_argument("--blocks", type=int, default=6)
    p.add_argument("--B", type=int, default=16); p.add_argument("--H", type=int, default=32)
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--steps", type=int, default=3); p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = Imdn(a.C, None, a.scale, a.blocks).train()
    alpha = (1e-3 * torch.randn(4 * a.blocks, len(CANDIDATES))).requires_grad_()
    w_opt = torch.optim.Adam(net.parameters(), 5e-4, weight_decay=1e-8)
    a_opt = torch.optim.Adam([alpha], 3e-4, betas=(0.5, 0.999), weight_decay=1e-8)
    hr = a.H * a.scale
    batch = lambda: (torch.rand(a.B, 3, a.H, a.H), torch.rand(a.B, 3, hr, hr))  # noqa: E731
    (xt, yt), (xv, yv) = batch(), batch()

    def step():
        a_opt.zero_grad()
        F.l1_loss(net(xv, torch.softmax(alpha, 1)), yv).backward()
        a_opt.step()
        w_opt.zero_grad()
        F.l1_loss(net(xt, torch.softmax(alpha, 1).detach()), yt).backward()
        w_opt.step()

    step()
    t = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t) / a.steps
    weights = sum(p.numel() for p in net.parameters())
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} imdn supernet C={a.C} blocks={a.blocks} "
          f"B={a.B} H={a.H} x{a.scale}: {dt * 1000:.0f} ms/step, {2 * a.B / dt:.1f} img/s, {weights} weights")


if __name__ == "__main__":
    main()
