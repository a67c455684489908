"""Peer for `deno task bench`: time one training step of DARTS' CIFAR evaluation network (cnn/model.py, the
twin in src/networks/torch_darts.py) in PyTorch on CPU: forward with the auxiliary head, CE + 0.4 * CE(aux),
backward, gradient clipping to 5, SGD (lr 0.025, momentum 0.9, weight decay 3e-4); drop path 0.2. The
conventions of ../shared/bench/torch_darts_step.py: random inputs, a warm-up step, the mean of --steps
steps, one summary line (parsed by src/cli/bench.ts).

usage: /usr/bin/python3 src/cli/torch_darts_train_step.py [--genotype DARTS_V2] [--C 36] [--layers 20] [--B 96]
       [--H 32] [--auxiliary 1] [--steps 3] [--threads N]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'networks'))
from torch_darts import GENOTYPES, Network, parameter_count  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--genotype", default="DARTS_V2"); p.add_argument("--C", type=int, default=36)
    p.add_argument("--layers", type=int, default=20); p.add_argument("--B", type=int, default=96)
    p.add_argument("--H", type=int, default=32); p.add_argument("--auxiliary", type=int, default=1)
    p.add_argument("--steps", type=int, default=3); p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = Network(a.C, 10, a.layers, bool(a.auxiliary), GENOTYPES[a.genotype]).train()
    net.drop_path_prob = 0.2
    opt = torch.optim.SGD(net.parameters(), 0.025, momentum=0.9, weight_decay=3e-4)
    x, y = torch.randn(a.B, 3, a.H, a.H), torch.randint(0, 10, (a.B,))

    def step():
        opt.zero_grad()
        logits, aux = net(x)
        loss = F.cross_entropy(logits, y) + (0.4 * F.cross_entropy(aux, y) if aux is not None else 0)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5)
        opt.step()

    step()
    t = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t) / a.steps
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} train {a.genotype} C={a.C} layers={a.layers} "
          f"B={a.B} H={a.H} aux={a.auxiliary}: {dt * 1000:.0f} ms/step, {a.B / dt:.1f} img/s, "
          f"{parameter_count(net)} weights")


if __name__ == "__main__":
    main()
