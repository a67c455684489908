/**
 * Channel concatenation and split (NHWC, along the last axis) as one pass each, with PC-DARTS' channel
 * shuffle folded in: the two are each other's gradients.
 *
 * Why: tfjs-backend-wasm runs `Concat` and `SplitV` on the last axis as generic JavaScript slices (measured
 * 2-3 ms for a [64, 16, 16, 8] split, against ~0.2 ms for a copy), and channel_shuffle is a transpose on
 * top. A PC-DARTS cell splits every state and concatenates every node's output.
 * @module
 */
import type { JsKernel } from "./jsKernel.ts";

/**
 * `groups`: the channel shuffle applied after the concatenation (1: none); `sizes`: the inputs' channels
 * (the gradient needs them, and tfjs hands a gradient only its saved tensors).
 */
export type ChannelConcatAttrs = { groups: number; sizes: number[] };

/**
 * `sizes`: channels of each part; `groups`: the shuffle undone before splitting (1: none); `part`: output
 * only that part (−1: all; a gradient thunk needs one part, and its siblings would be disposed unused).
 */
export type ChannelSplitAttrs = { sizes: number[]; groups: number; part: number };

/**
 * Where pre-shuffle channel p of a `c`-channel tensor lands after channel_shuffle(groups): p = g · (c /
 * groups) + j moves to j · groups + g (PyTorch's view / transpose / view).
 */
export function shuffledChannel(c: number, groups: number): Int32Array {
  const per = c / groups;
  const at = new Int32Array(c);
  for (let p = 0; p < c; p++) at[p] = (p % per) * groups + Math.floor(p / per);
  return at;
}

/**
 * Copies between the parts ([rows, sizes[i]] each) and the whole ([rows, c]): part i's channel k is the
 * whole's channel at[offset_i + k]. `toWhole` picks the direction.
 */
function copyChannels(
  parts: Float32Array[],
  sizes: number[],
  whole: Float32Array,
  groups: number,
  toWhole: boolean,
  only = -1,
) {
  const c = sizes.reduce((a, b) => a + b, 0);
  const rows = whole.length / c;
  const at = shuffledChannel(c, groups);
  let offset = 0;
  sizes.forEach((n, i) => {
    if (only >= 0 && i !== only) {
      offset += n;
      return;
    }
    const part = parts[only >= 0 ? 0 : i];
    const contiguous = groups === 1;
    for (let r = 0; r < rows; r++) {
      const src = r * n;
      const dst = r * c;
      if (contiguous) {
        if (toWhole) { for (let k = 0; k < n; k++) whole[dst + offset + k] = part[src + k]; }
        else for (let k = 0; k < n; k++) part[src + k] = whole[dst + offset + k];
      } else if (toWhole) {
        for (let k = 0; k < n; k++) whole[dst + at[offset + k]] = part[src + k];
      } else {
        for (let k = 0; k < n; k++) part[src + k] = whole[dst + at[offset + k]];
      }
    }
    offset += n;
  });
}

/**
 * channel_shuffle(concat(xs, axis 3), groups): inputs xs (same N, H, W), outputs [y [N, H, W, Σ c_i]].
 * Its gradient is {@link channelSplitKernel} with the inputs' sizes.
 */
export const channelConcatKernel: JsKernel<ChannelConcatAttrs> = {
  name: "SadartsChannelConcat",
  outputShapes: (shapes) => [[...shapes[0].slice(0, -1), shapes.reduce((s, sh) => s + sh[sh.length - 1], 0)]],
  compute(xs, [y], shapes, { groups }) {
    copyChannels(xs, shapes.map((s) => s[s.length - 1]), y, groups, true);
  },
};

/**
 * split(unshuffle(x, groups), sizes, axis 3): inputs [x], outputs one tensor per size. Its gradient is
 * {@link channelConcatKernel} of the outputs' gradients.
 */
export const channelSplitKernel: JsKernel<ChannelSplitAttrs> = {
  name: "SadartsChannelSplit",
  outputShapes: ([x], { sizes, part }) =>
    (part >= 0 ? [sizes[part]] : sizes).map((n) => [...x.slice(0, -1), n]),
  compute([x], parts, _shapes, { sizes, groups, part }) {
    copyChannels(parts, sizes, x, groups, false, part);
  },
};
