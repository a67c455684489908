/**
 * Training kernels: conv / depthwise-conv gradients that compose fast forward ops, so convnets train fast on
 * the wasm backend (whose backprop kernels are missing or slow) and dilated convs are differentiable on every
 * backend (stock tfjs refuses dilation > 1 in gradients).
 *
 * Design: instead of per-backend C++ backprop kernels, the gradients of `Conv2D` and `DepthwiseConv2dNative`
 * are overridden (`tf.registerGradient`) with definitions built from forward convs, reshapes and transposes.
 * Those run on any backend, are automatically tidied and taped, and need no native code. They are used on wasm
 * and for dilated convs; on cpu/webgpu/tensorflow with dilation 1 the stock gradient runs unchanged (the cpu
 * backend remains the reference the tests compare against).
 *
 * @module
 */
import { registerConv2dGradient } from "./convGradients.ts";
import { registerDepthwiseGradient } from "./depthwiseGradients.ts";

export { convolve, type ConvolveOptions, subsample } from "./convolve.ts";
export {
  conv2dFilterGrad,
  conv2dGradConfig,
  conv2dInputGrad,
  type ConvGeometry,
  convGeometry,
  type ConvPad,
  useComposed,
} from "./convGradients.ts";
export {
  depthwiseBackpropFilterWasmConfig,
  depthwiseFilterGrad,
  depthwiseFilterGradComposed,
  depthwiseGradConfig,
  depthwiseInputGrad,
} from "./depthwiseGradients.ts";
export {
  type DepthwiseAttrs,
  depthwiseAttrs,
  depthwiseConvKernel,
  depthwiseFilterGradKernel,
  depthwiseFilterGradLoop,
  depthwiseInputGradKernel,
  simdDepthwiseSupported,
} from "./depthwiseKernels.ts";

/**
 * Overrides the `Conv2D` and `DepthwiseConv2dNative` gradients and registers the wasm
 * `DepthwiseConv2dNativeBackpropFilter` kernel and the gradient of the SIMD depthwise forward. Safe to call any number of times, before or after a backend
 * is set (gradients are looked up when backprop runs and dispatch on `tf.getBackend()` then).
 */
export function registerTrainingKernels(): void {
  registerConv2dGradient();
  registerDepthwiseGradient();
}
