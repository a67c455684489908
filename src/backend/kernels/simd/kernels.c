// SIMD kernels for sadarts on the tfjs wasm backend. They run in tfjs' own linear memory (imported), on
// tensors tfjs allocated: every pointer is a byte offset into that heap. Leaf loops only: no stack, no
// static data, no allocation, so the module never touches memory it was not handed.
// Tensors are NHWC flattened to [rows, c]; per-channel loops take 4 channels per SIMD vector.
// Build: `deno task build:simd` (clang --target=wasm32 -msimd128, see build.ts beside this file).
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

// Adds the 4 float lanes of v, promoted to float64, into (lo, hi).
#define ACC64(lo, hi, v)                                                                   \
  do {                                                                                     \
    lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v));                              \
    hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1))); \
  } while (0)

// Batch-statistics batch norm, forward: x̂ = (x − mean)·inv_std and, when run_mean is not null, the
// running estimates (unbiased variance). Sums of x and x² in float64.
EXPORT void bn_forward(const float* x, float* xhat, float* inv_std, const float* run_mean, const float* run_var,
                       float* new_mean, float* new_var, int rows, int c, float eps, float momentum) {
  for (int j = 0; j < c; j += 4) {
    int lanes = c - j < 4 ? c - j : 4;
    double mean[4], var[4];
    if (lanes == 4) {
      v128_t s0 = wasm_f64x2_splat(0), s1 = s0, q0 = s0, q1 = s0;
      const float* p = x + j;
      for (int r = 0; r < rows; r++, p += c) {
        v128_t v = wasm_v128_load(p);
        ACC64(s0, s1, v);
        ACC64(q0, q1, wasm_f32x4_mul(v, v));
      }
      double s[4] = {wasm_f64x2_extract_lane(s0, 0), wasm_f64x2_extract_lane(s0, 1), wasm_f64x2_extract_lane(s1, 0),
                     wasm_f64x2_extract_lane(s1, 1)};
      double q[4] = {wasm_f64x2_extract_lane(q0, 0), wasm_f64x2_extract_lane(q0, 1), wasm_f64x2_extract_lane(q1, 0),
                     wasm_f64x2_extract_lane(q1, 1)};
      for (int l = 0; l < 4; l++) {
        mean[l] = s[l] / rows;
        var[l] = q[l] / rows - mean[l] * mean[l];
      }
    } else {
      for (int l = 0; l < lanes; l++) {
        double s = 0, q = 0;
        const float* p = x + j + l;
        for (int r = 0; r < rows; r++, p += c) {
          double v = *p;
          s += v;
          q += v * v;
        }
        mean[l] = s / rows;
        var[l] = q / rows - mean[l] * mean[l];
      }
    }
    float m[4] = {0, 0, 0, 0}, inv[4] = {0, 0, 0, 0};
    for (int l = 0; l < lanes; l++) {
      if (var[l] < 0) var[l] = 0;
      m[l] = (float)mean[l];
      inv[l] = (float)(1.0 / __builtin_sqrt(var[l] + eps));
      inv_std[j + l] = inv[l];
      if (run_mean) {
        double unbiased = rows > 1 ? var[l] * rows / (rows - 1) : var[l];
        new_mean[j + l] = (float)((1 - momentum) * run_mean[j + l] + momentum * mean[l]);
        new_var[j + l] = (float)((1 - momentum) * run_var[j + l] + momentum * unbiased);
      }
    }
    if (lanes == 4) {
      v128_t vm = wasm_v128_load(m), vi = wasm_v128_load(inv);
      const float* p = x + j;
      float* o = xhat + j;
      for (int r = 0; r < rows; r++, p += c, o += c) wasm_v128_store(o, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(p), vm), vi));
    } else {
      for (int l = 0; l < lanes; l++) {
        const float* p = x + j + l;
        float* o = xhat + j + l;
        for (int r = 0; r < rows; r++, p += c, o += c) *o = (*p - m[l]) * inv[l];
      }
    }
  }
}

// Batch norm, backward: dx = inv_std·(dy − mean(dy) − x̂·mean(dy·x̂)).
EXPORT void bn_backward(const float* dy, const float* xhat, const float* inv_std, float* dx, int rows, int c) {
  for (int j = 0; j < c; j += 4) {
    int lanes = c - j < 4 ? c - j : 4;
    float a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0}, inv[4] = {0, 0, 0, 0};
    if (lanes == 4) {
      v128_t s0 = wasm_f64x2_splat(0), s1 = s0, t0 = s0, t1 = s0;
      const float* g = dy + j;
      const float* h = xhat + j;
      for (int r = 0; r < rows; r++, g += c, h += c) {
        v128_t vg = wasm_v128_load(g);
        ACC64(s0, s1, vg);
        ACC64(t0, t1, wasm_f32x4_mul(vg, wasm_v128_load(h)));
      }
      a[0] = wasm_f64x2_extract_lane(s0, 0) / rows;
      a[1] = wasm_f64x2_extract_lane(s0, 1) / rows;
      a[2] = wasm_f64x2_extract_lane(s1, 0) / rows;
      a[3] = wasm_f64x2_extract_lane(s1, 1) / rows;
      b[0] = wasm_f64x2_extract_lane(t0, 0) / rows;
      b[1] = wasm_f64x2_extract_lane(t0, 1) / rows;
      b[2] = wasm_f64x2_extract_lane(t1, 0) / rows;
      b[3] = wasm_f64x2_extract_lane(t1, 1) / rows;
    } else {
      for (int l = 0; l < lanes; l++) {
        double s = 0, t = 0;
        const float* g = dy + j + l;
        const float* h = xhat + j + l;
        for (int r = 0; r < rows; r++, g += c, h += c) {
          s += *g;
          t += (double)*g * *h;
        }
        a[l] = s / rows;
        b[l] = t / rows;
      }
    }
    for (int l = 0; l < lanes; l++) inv[l] = inv_std[j + l];
    if (lanes == 4) {
      v128_t va = wasm_v128_load(a), vb = wasm_v128_load(b), vi = wasm_v128_load(inv);
      const float* g = dy + j;
      const float* h = xhat + j;
      float* o = dx + j;
      for (int r = 0; r < rows; r++, g += c, h += c, o += c) {
        v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(g), va), wasm_f32x4_mul(wasm_v128_load(h), vb));
        wasm_v128_store(o, wasm_f32x4_mul(t, vi));
      }
    } else {
      for (int l = 0; l < lanes; l++) {
        const float* g = dy + j + l;
        const float* h = xhat + j + l;
        float* o = dx + j + l;
        for (int r = 0; r < rows; r++, g += c, h += c, o += c) *o = inv[l] * (*g - a[l] - *h * b[l]);
      }
    }
  }
}

// out (+)= w0·t0 + w1·t1 + w2·t2 + w3·t3 over n floats; unused terms have weight 0 and any valid pointer.
EXPORT void mixed_sum4(float* out, int accumulate, int n, const float* t0, const float* t1, const float* t2,
                       const float* t3, float w0, float w1, float w2, float w3) {
  v128_t v0 = wasm_f32x4_splat(w0), v1 = wasm_f32x4_splat(w1), v2 = wasm_f32x4_splat(w2), v3 = wasm_f32x4_splat(w3);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t acc = accumulate ? wasm_v128_load(out + i) : wasm_f32x4_splat(0);
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(t0 + i), v0));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(t1 + i), v1));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(t2 + i), v2));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(t3 + i), v3));
    wasm_v128_store(out + i, acc);
  }
  for (; i < n; i++) out[i] = (accumulate ? out[i] : 0) + w0 * t0[i] + w1 * t1[i] + w2 * t2[i] + w3 * t3[i];
}

// For up to 4 terms: dt_k = w_k·dy and dots[k] = Σ dy·t_k (float64 sums). Unused terms: dt_k null.
EXPORT void mixed_sum_grad4(const float* dy, int n, const float* t0, const float* t1, const float* t2,
                            const float* t3, float* d0, float* d1, float* d2, float* d3, float w0, float w1,
                            float w2, float w3, float* dots) {
  const float* ts[4] = {t0, t1, t2, t3};
  float* ds[4] = {d0, d1, d2, d3};
  float ws[4] = {w0, w1, w2, w3};
  for (int k = 0; k < 4; k++) {
    if (!ds[k]) continue;
    const float* t = ts[k];
    float* d = ds[k];
    v128_t w = wasm_f32x4_splat(ws[k]);
    v128_t lo = wasm_f64x2_splat(0), hi = lo;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      v128_t g = wasm_v128_load(dy + i);
      wasm_v128_store(d + i, wasm_f32x4_mul(g, w));
      ACC64(lo, hi, wasm_f32x4_mul(g, wasm_v128_load(t + i)));
    }
    double dot = wasm_f64x2_extract_lane(lo, 0) + wasm_f64x2_extract_lane(lo, 1) + wasm_f64x2_extract_lane(hi, 0) +
                 wasm_f64x2_extract_lane(hi, 1);
    for (; i < n; i++) {
      d[i] = ws[k] * dy[i];
      dot += (double)dy[i] * t[i];
    }
    dots[k] = (float)dot;
  }
}

// ReLU gradient: dh = dr where h > 0, else 0.
EXPORT void relu_grad(const float* dr, const float* h, float* dh, int n) {
  int i = 0;
  v128_t zero = wasm_f32x4_splat(0);
  for (; i + 4 <= n; i += 4) {
    v128_t mask = wasm_f32x4_gt(wasm_v128_load(h + i), zero);
    wasm_v128_store(dh + i, wasm_v128_and(wasm_v128_load(dr + i), mask));
  }
  for (; i < n; i++) dh[i] = h[i] > 0 ? dr[i] : 0;
}
