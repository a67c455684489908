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

// Per-channel statistics and normalisation sweep the tensor row by row (NHWC rows are contiguous), with
// one accumulator per channel in a stack array: a channel-by-channel strided sweep re-reads every cache
// line c/4 times, which made these kernels memory-bound on 4 MiB activations.
#define MAX_C 1024

// Batch-statistics batch norm, forward: x̂ = (x − mean)·inv_std and, when run_mean is not null, the
// running estimates (unbiased variance; the mean they see is mean + shift when shift is not null). Sums of x and x² in float64. c must be a multiple of 4 and at
// most MAX_C (the JS caller checks; other shapes use the JS kernel).
EXPORT void bn_forward(const float* x, float* xhat, float* inv_std, const float* run_mean, const float* run_var,
                       const float* shift, float* new_mean, float* new_var, int rows, int c, float eps,
                       float momentum) {
  v128_t s[MAX_C / 2], q[MAX_C / 2];  // float64 pairs
  int blocks = c / 4;
  for (int b = 0; b < 2 * blocks; b++) s[b] = q[b] = wasm_f64x2_splat(0);
  const float* p = x;
  for (int r = 0; r < rows; r++) {
    for (int b = 0; b < blocks; b++, p += 4) {
      v128_t v = wasm_v128_load(p);
      ACC64(s[2 * b], s[2 * b + 1], v);
      ACC64(q[2 * b], q[2 * b + 1], wasm_f32x4_mul(v, v));
    }
  }
  float m[MAX_C], inv[MAX_C];
  for (int j = 0; j < c; j++) {
    // lanes 0,1 of a block are in s[2b], lanes 2,3 in s[2b+1] (see ACC64)
    int lane = j % 4;
    v128_t sv = s[2 * (j / 4) + lane / 2], qv = q[2 * (j / 4) + lane / 2];
    double sum = lane % 2 ? wasm_f64x2_extract_lane(sv, 1) : wasm_f64x2_extract_lane(sv, 0);
    double sq = lane % 2 ? wasm_f64x2_extract_lane(qv, 1) : wasm_f64x2_extract_lane(qv, 0);
    double mean = sum / rows;
    double variance = sq / rows - mean * mean;
    if (variance < 0) variance = 0;
    m[j] = (float)mean;
    inv[j] = (float)(1.0 / __builtin_sqrt(variance + eps));
    inv_std[j] = inv[j];
    if (run_mean) {
      double unbiased = rows > 1 ? variance * rows / (rows - 1) : variance;
      double seen = shift ? mean + shift[j] : mean;  // a per-channel constant x lacks (a cancelled conv bias)
      new_mean[j] = (float)((1 - momentum) * run_mean[j] + momentum * seen);
      new_var[j] = (float)((1 - momentum) * run_var[j] + momentum * unbiased);
    }
  }
  p = x;
  float* o = xhat;
  for (int r = 0; r < rows; r++) {
    for (int b = 0; b < blocks; b++, p += 4, o += 4) {
      v128_t t = wasm_f32x4_sub(wasm_v128_load(p), wasm_v128_load(m + 4 * b));
      wasm_v128_store(o, wasm_f32x4_mul(t, wasm_v128_load(inv + 4 * b)));
    }
  }
}

// Batch norm, backward: dx = inv_std·(dy − mean(dy) − x̂·mean(dy·x̂)). Same constraints on c.
EXPORT void bn_backward(const float* dy, const float* xhat, const float* inv_std, float* dx, int rows, int c) {
  v128_t s[MAX_C / 2], t[MAX_C / 2];
  int blocks = c / 4;
  for (int b = 0; b < 2 * blocks; b++) s[b] = t[b] = wasm_f64x2_splat(0);
  const float* g = dy;
  const float* h = xhat;
  for (int r = 0; r < rows; r++) {
    for (int b = 0; b < blocks; b++, g += 4, h += 4) {
      v128_t vg = wasm_v128_load(g);
      ACC64(s[2 * b], s[2 * b + 1], vg);
      ACC64(t[2 * b], t[2 * b + 1], wasm_f32x4_mul(vg, wasm_v128_load(h)));
    }
  }
  float a[MAX_C], bb[MAX_C];
  for (int j = 0; j < c; j++) {
    int lane = j % 4;
    v128_t sv = s[2 * (j / 4) + lane / 2], tv = t[2 * (j / 4) + lane / 2];
    a[j] = (float)((lane % 2 ? wasm_f64x2_extract_lane(sv, 1) : wasm_f64x2_extract_lane(sv, 0)) / rows);
    bb[j] = (float)((lane % 2 ? wasm_f64x2_extract_lane(tv, 1) : wasm_f64x2_extract_lane(tv, 0)) / rows);
  }
  g = dy;
  h = xhat;
  float* o = dx;
  for (int r = 0; r < rows; r++) {
    for (int b = 0; b < blocks; b++, g += 4, h += 4, o += 4) {
      v128_t d = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(g), wasm_v128_load(a + 4 * b)),
                                wasm_f32x4_mul(wasm_v128_load(h), wasm_v128_load(bb + 4 * b)));
      wasm_v128_store(o, wasm_f32x4_mul(d, wasm_v128_load(inv_std + 4 * b)));
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

// Conv2D filter gradient, stride 1, dilation 1, NHWC: dw[i][j][ci][co] = Σ_{b,oh,ow} x[b][oh+i−pt][ow+j−pl][ci]
// · dy[b][oh][ow][co]. One output row of dy (ow = 0..wo) is the unit of work: it stays in L1 while every
// tap and channel block passes over it. A 2-ci × (4·NV)-co tile of dw lives in registers across the row.
// co must be a multiple of 4. dw is overwritten.
#define FG_TILE(NV)                                                                                     \
  static void fg_tile_##NV(const float* xrow, const float* dyrow, float* dw0, int ci, int co, int two,  \
                           int ow0, int ow1, int xoff) {                                                \
    v128_t a0[NV], a1[NV];                                                                              \
    for (int v = 0; v < NV; v++) {                                                                      \
      a0[v] = wasm_v128_load(dw0 + 4 * v);                                                              \
      a1[v] = two ? wasm_v128_load(dw0 + co + 4 * v) : wasm_f32x4_splat(0);                             \
    }                                                                                                   \
    for (int ow = ow0; ow < ow1; ow++) {                                                                \
      const float* xp = xrow + (ow + xoff) * ci;                                                        \
      const float* g = dyrow + ow * co;                                                                 \
      v128_t s0 = wasm_f32x4_splat(xp[0]);                                                              \
      v128_t s1 = wasm_f32x4_splat(two ? xp[1] : 0);                                                    \
      for (int v = 0; v < NV; v++) {                                                                    \
        v128_t d = wasm_v128_load(g + 4 * v);                                                           \
        a0[v] = wasm_f32x4_add(a0[v], wasm_f32x4_mul(s0, d));                                           \
        a1[v] = wasm_f32x4_add(a1[v], wasm_f32x4_mul(s1, d));                                           \
      }                                                                                                 \
    }                                                                                                   \
    for (int v = 0; v < NV; v++) {                                                                      \
      wasm_v128_store(dw0 + 4 * v, a0[v]);                                                              \
      if (two) wasm_v128_store(dw0 + co + 4 * v, a1[v]);                                                \
    }                                                                                                   \
  }
FG_TILE(4)
FG_TILE(2)
FG_TILE(1)

EXPORT void conv_filter_grad(const float* x, const float* dy, float* dw, int batch, int h, int w, int ci, int ho,
                             int wo, int co, int kh, int kw, int pt, int pl) {
  int n = kh * kw * ci * co;
  for (int i = 0; i < n; i++) dw[i] = 0;
  for (int b = 0; b < batch; b++) {
    for (int oh = 0; oh < ho; oh++) {
      const float* dyrow = dy + ((long)(b * ho + oh) * wo) * co;
      for (int i = 0; i < kh; i++) {
        int ih = oh + i - pt;
        if (ih < 0 || ih >= h) continue;
        const float* xrow = x + ((long)(b * h + ih) * w) * ci;
        for (int j = 0; j < kw; j++) {
          int xoff = j - pl;  // iw = ow + xoff
          int ow0 = xoff < 0 ? -xoff : 0;
          int ow1 = w - xoff < wo ? w - xoff : wo;
          if (ow1 <= ow0) continue;
          float* tap = dw + (i * kw + j) * ci * co;
          for (int c = 0; c < ci; c += 2) {
            int two = c + 1 < ci;
            const float* xr = xrow + c;
            float* dw0 = tap + c * co;
            int o = 0;
            for (; o + 16 <= co; o += 16) fg_tile_4(xr, dyrow + o, dw0 + o, ci, co, two, ow0, ow1, xoff);
            for (; o + 8 <= co; o += 8) fg_tile_2(xr, dyrow + o, dw0 + o, ci, co, two, ow0, ow1, xoff);
            for (; o + 4 <= co; o += 4) fg_tile_1(xr, dyrow + o, dw0 + o, ci, co, two, ow0, ow1, xoff);
          }
        }
      }
    }
  }
}

// 3x3 average pooling, stride 1, padding 1, count_include_pad = False, and its gradient, NHWC with c a
// multiple of 4. inv(h, w) = 1 / (valid rows × valid cols of the window centred at (h, w)).
// Forward: out = inv(h, w) · Σ_window x. Gradient: dx = Σ_window inv(h', w') · dy(h', w') (pre = 1).
EXPORT void avg_pool3(const float* x, float* out, int batch, int h, int w, int c, int pre) {
  for (int b = 0; b < batch; b++) {
    for (int y = 0; y < h; y++) {
      int y0 = y > 0 ? y - 1 : 0, y1 = y < h - 1 ? y + 1 : h - 1;
      for (int xx = 0; xx < w; xx++) {
        int x0 = xx > 0 ? xx - 1 : 0, x1 = xx < w - 1 ? xx + 1 : w - 1;
        float* o = out + (((long)b * h + y) * w + xx) * c;
        for (int k = 0; k < c; k += 4) {
          v128_t acc = wasm_f32x4_splat(0);
          for (int i = y0; i <= y1; i++) {
            int ri = (i > 0 ? i - 1 : 0), rj = (i < h - 1 ? i + 1 : h - 1);
            float rows = (float)(rj - ri + 1);
            const float* row = x + (((long)b * h + i) * w) * c + k;
            for (int j = x0; j <= x1; j++) {
              v128_t v = wasm_v128_load(row + j * c);
              if (pre) {
                int ci = (j > 0 ? j - 1 : 0), cj = (j < w - 1 ? j + 1 : w - 1);
                v = wasm_f32x4_mul(v, wasm_f32x4_splat(1.0f / (rows * (float)(cj - ci + 1))));
              }
              acc = wasm_f32x4_add(acc, v);
            }
          }
          if (!pre) acc = wasm_f32x4_mul(acc, wasm_f32x4_splat(1.0f / (float)((y1 - y0 + 1) * (x1 - x0 + 1))));
          wasm_v128_store(o + k, acc);
        }
      }
    }
  }
}
