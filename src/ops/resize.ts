/**
 * Bilinear resizing as PyTorch's `F.interpolate(x, size, mode="bilinear", align_corners=False)` does it
 * (half-pixel centres, source positions below 0 clamped to 0), written as two matrix products so its
 * gradient is exact: tfjs' own `resizeBilinear` gradient ignores `halfPixelCenters` (measured: off by up
 * to 2.4× on a 2×2 → 5×6 resize), which DLSR's ESA would train with.
 * @module
 */
import * as tf from "../deps/tfjs_core.ts";

/** The [out, in] interpolation matrix along one axis. */
export function bilinearMatrix(inLength: number, outLength: number): tf.Tensor2D {
  const m = new Float32Array(outLength * inLength);
  const scale = inLength / outLength;
  for (let o = 0; o < outLength; o++) {
    const src = Math.max(0, scale * (o + 0.5) - 0.5);
    const i0 = Math.min(Math.floor(src), inLength - 1);
    const i1 = Math.min(i0 + 1, inLength - 1);
    const l1 = src - i0;
    m[o * inLength + i0] += 1 - l1;
    m[o * inLength + i1] += l1;
  }
  return tf.tensor2d(m, [outLength, inLength]);
}

/**
 * Resize an NHWC batch to `height` × `width` bilinearly (PyTorch's align_corners=False).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { resizeBilinearHalfPixel } from "./resize.ts";
 * await tf.setBackend("cpu");
 * const y = resizeBilinearHalfPixel(tf.tensor4d([0, 1], [1, 1, 2, 1]), 1, 4);
 * console.assert(y.dataSync().join() === "0,0.25,0.75,1");
 * ```
 */
export function resizeBilinearHalfPixel(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const rows = bilinearMatrix(h, height), cols = bilinearMatrix(w, width);
    // [n, h, w, c] → [n·h·c, w]: interpolate the columns; then [n·width·c, h]: the rows.
    const t1 = tf.reshape(tf.transpose(x, [0, 1, 3, 2]), [n * h * c, w]);
    const across = tf.reshape(tf.matMul(t1, cols, false, true), [n, h, c, width]);
    const t2 = tf.reshape(tf.transpose(across, [0, 3, 2, 1]), [n * width * c, h]);
    const down = tf.reshape(tf.matMul(t2, rows, false, true), [n, width, c, height]);
    return tf.transpose(down, [0, 3, 1, 2]) as tf.Tensor4D;
  });
}
