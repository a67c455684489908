"""PyTorch twin of src/networks/imdn.ts, for the tests' fixtures (test/fixtures/make_imdn.py) and the SR bench
peer (src/cli/torch_sr_step.py): IMDN as SPECS §8a restates Hui et al.'s `model/block.py` (IMDModule with
distillation rate 0.25, CCA with reduction 16, LeakyReLU 0.05, convs with bias, PixelShuffle), each block's
four convolutions one of the paper's 12 candidates (conv; depthwise then pointwise; dilated depthwise then
pointwise; k 3 or 5; a BatchNorm after it, the conv before it then without bias), or, in the supernet, all
12 mixed by op weights [positions, candidates]. Module names follow our variables: head,
blocks.<b>.c<i>[.<op>].{conv,depthwise,pointwise,bn}, blocks.<b>.cca.{down,up}, blocks.<b>.c5, merge, body,
tail.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

CANDIDATES = ['conv_3x3', 'conv_5x5', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5',
              'conv_3x3_bn', 'conv_5x5_bn', 'sep_conv_3x3_bn', 'sep_conv_5x5_bn', 'dil_conv_3x3_bn',
              'dil_conv_5x5_bn']


class SrConv(nn.Module):
    def __init__(self, op, cin, cout):
        super().__init__()
        bn = op.endswith('_bn')
        base = op[:-3] if bn else op
        k = 3 if base.endswith('3x3') else 5
        self.cout = cout
        if base.startswith('conv'):
            self.conv = nn.Conv2d(cin, cout, k, padding=(k - 1) // 2, bias=not bn)
        else:
            d = 2 if base.startswith('dil') else 1
            self.depthwise = nn.Conv2d(cin, cin, k, padding=(k - 1) // 2 * d, dilation=d, groups=cin, bias=True)
            self.pointwise = nn.Conv2d(cin, cout, 1, bias=not bn)
        self.bn = nn.BatchNorm2d(cout) if bn else None

    def forward(self, x):
        y = self.conv(x) if hasattr(self, 'conv') else self.pointwise(self.depthwise(x))
        return self.bn(y) if self.bn is not None else y


class Mixed(nn.Module):
    """Every candidate of a position; the output is Σ_k w_k · op_k(x)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.cout = cout
        self.ops = nn.ModuleDict({op: SrConv(op, cin, cout) for op in CANDIDATES})

    def forward(self, x, w):
        return sum(w[k] * self.ops[op](x) for k, op in enumerate(CANDIDATES))


class CCA(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.down = nn.Conv2d(c, max(1, c // 16), 1, bias=True)
        self.up = nn.Conv2d(max(1, c // 16), c, 1, bias=True)

    def forward(self, x):
        mean = x.mean(dim=(2, 3), keepdim=True)
        std = ((x - mean) ** 2).mean(dim=(2, 3), keepdim=True) ** 0.5
        return x * torch.sigmoid(self.up(F.relu(self.down(std + mean))))


class Block(nn.Module):
    def __init__(self, c, ops):
        """`ops`: the block's 4 op names, or None for the supernet's mixed positions."""
        super().__init__()
        self.d = c // 4
        r = c - self.d
        io = [(c, c), (r, c), (r, c), (r, self.d)]
        for i, (cin, cout) in enumerate(io):
            setattr(self, 'c%d' % (i + 1), Mixed(cin, cout) if ops is None else SrConv(ops[i], cin, cout))
        self.cca = CCA(4 * self.d)
        self.c5 = nn.Conv2d(4 * self.d, c, 1, bias=True)

    def forward(self, x, w=None):
        def run(i, t):
            m = getattr(self, 'c%d' % (i + 1))
            return m(t) if w is None else m(t, w[i])

        kept, rest = [], x
        for i in range(3):
            d, rest = torch.split(F.leaky_relu(run(i, rest), 0.05), [self.d, getattr(self, 'c%d' % (i + 1)).cout - self.d], 1)
            kept.append(d)
        kept.append(run(3, rest))
        return self.c5(self.cca(torch.cat(kept, 1))) + x


class Imdn(nn.Module):
    """`genotype`: a list of 4 op names per block, or None for the supernet of `blocks` blocks."""

    def __init__(self, c, genotype, scale, blocks=None):
        super().__init__()
        n = len(genotype) if genotype is not None else blocks
        self.head = nn.Conv2d(3, c, 3, padding=1, bias=True)
        self.blocks = nn.ModuleList([Block(c, genotype[b] if genotype is not None else None) for b in range(n)])
        self.merge = nn.Conv2d(c * n, c, 1, bias=True)
        self.body = nn.Conv2d(c, c, 3, padding=1, bias=True)
        self.tail = nn.Conv2d(c, 3 * scale * scale, 3, padding=1, bias=True)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x, weights=None):
        """`weights`: the supernet's op weights [4 · blocks, candidates]."""
        feature = self.head(x)
        outs, h = [], feature
        for b, block in enumerate(self.blocks):
            h = block(h, None if weights is None else weights[4 * b:4 * b + 4])
            outs.append(h)
        merged = F.leaky_relu(self.merge(torch.cat(outs, 1)), 0.05)
        return self.shuffle(self.tail(self.body(merged) + feature))
