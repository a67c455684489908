// SIMD kernels for sadarts on the tfjs wasm backend. They run in tfjs' own linear memory (imported), on
// tensors tfjs allocated: every pointer is a byte offset into that heap. Leaf loops only: no static data
// (build.ts refuses a data segment), no allocation; scratch arrays live on the 64 KiB stack mod.ts takes
// from tfjs' allocator. So the module never touches memory it was not handed.
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

// Affine batch norm, forward: y = gamma·x̂ + beta per channel. Same constraints on c.
EXPORT void bn_affine(const float* xhat, const float* gamma, const float* beta, float* y, int rows, int c) {
  int blocks = c / 4;
  const float* h = xhat;
  float* o = y;
  for (int r = 0; r < rows; r++) {
    for (int b = 0; b < blocks; b++, h += 4, o += 4) {
      wasm_v128_store(o, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(h), wasm_v128_load(gamma + 4 * b)),
                                        wasm_v128_load(beta + 4 * b)));
    }
  }
}

// Affine batch norm, backward: dbeta = Σ dy, dgamma = Σ dy·x̂ (float64 sums), and
// dx = gamma·inv_std·(dy − mean(dy) − x̂·mean(dy·x̂)): bn_backward of gamma·dy. Same constraints on c.
EXPORT void bn_affine_backward(const float* dy, const float* xhat, const float* inv_std, const float* gamma,
                               float* dx, float* dgamma, float* dbeta, int rows, int c) {
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
  float a[MAX_C], bb[MAX_C], k[MAX_C];
  for (int j = 0; j < c; j++) {
    int lane = j % 4;
    v128_t sv = s[2 * (j / 4) + lane / 2], tv = t[2 * (j / 4) + lane / 2];
    double sum = lane % 2 ? wasm_f64x2_extract_lane(sv, 1) : wasm_f64x2_extract_lane(sv, 0);
    double sumx = lane % 2 ? wasm_f64x2_extract_lane(tv, 1) : wasm_f64x2_extract_lane(tv, 0);
    dbeta[j] = (float)sum;
    dgamma[j] = (float)sumx;
    a[j] = (float)(sum / rows);
    bb[j] = (float)(sumx / rows);
    k[j] = gamma[j] * inv_std[j];
  }
  g = dy;
  h = xhat;
  float* o = dx;
  for (int r = 0; r < rows; r++) {
    for (int b = 0; b < blocks; b++, g += 4, h += 4, o += 4) {
      v128_t d = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(g), wasm_v128_load(a + 4 * b)),
                                wasm_f32x4_mul(wasm_v128_load(h), wasm_v128_load(bb + 4 * b)));
      wasm_v128_store(o, wasm_f32x4_mul(d, wasm_v128_load(k + 4 * b)));
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
        for (int k = 0; k + 4 <= c; k += 4) {
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
        for (int k = c & ~3; k < c; k++) {  // the last c % 4 channels, the same operations one lane wide
          float acc = 0.0f;
          for (int i = y0; i <= y1; i++) {
            int ri = (i > 0 ? i - 1 : 0), rj = (i < h - 1 ? i + 1 : h - 1);
            float rows = (float)(rj - ri + 1);
            const float* row = x + (((long)b * h + i) * w) * c + k;
            for (int j = x0; j <= x1; j++) {
              float v = row[j * c];
              if (pre) {
                int ci = (j > 0 ? j - 1 : 0), cj = (j < w - 1 ? j + 1 : w - 1);
                v = v * (1.0f / (rows * (float)(cj - ci + 1)));
              }
              acc = acc + v;
            }
          }
          if (!pre) acc = acc * (1.0f / (float)((y1 - y0 + 1) * (x1 - x0 + 1)));
          o[k] = acc;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Depthwise convolution (multiplier 1), NHWC, filter [kh, kw, c]: forward, input gradient and filter
// gradient for any stride, dilation and padding, kh, kw ≤ DW_MAXK, c ≥ 4 (the filter gradient: any c; the JS
// caller checks; other shapes use the JS kernels or tfjs). Channels go 4 to a vector; when c is not a multiple of 4 the last
// block starts at c − 4 and overlaps the one before: every lane is computed by the same operations
// whichever block it is in, so the overlapped channels are written twice with the same value.
// Geometry is the forward conv's: y[oh][ow] reads x[oh·sh + th·dh − top][ow·sw + tw·dw − left].
#define DW_MAXK 8

static inline int floordiv(int a, int b) { return a / b - (a % b != 0 && ((a < 0) != (b < 0))); }
static inline int ceildiv(int a, int b) { return -floordiv(-a, b); }
static inline int imax(int a, int b) { return a > b ? a : b; }
static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int igcd(int a, int b) {
  while (b != 0) {
    int t = a % b;
    a = b;
    b = t;
  }
  return a;
}
static inline int block_start(int k, int c) { return imin(4 * k, c - 4); }

// The input gradient and forward are gathers: each output is a sum of products written once (no zeroing,
// no read-modify-write). Their sums start at +0 and add the terms in the order tfjs' own kernels do, so the
// results are tfjs' bit for bit (a term these skip, outside the input, is tfjs' +0 or −0 product, which
// leaves any sum unchanged): runs are reproducible whichever path computed them.
//
// One output row, one 4-channel block, columns outside:
// out[q·ostep] = Σ_t Σ_r in[r][q·istep + off[t]] · fv[t·nr + r] for q < n (indices in pixels of c floats; taps
// outside [0, win) skipped; all inside for q in [qa, qb), see dw_interior). The forward conv is istep = sw,
// ostep = 1; one column phase of the input gradient is istep = 1, ostep = sw. One function per column tap
// count NT (unrolled). Inside, 4 outputs at once, so each filter vector is loaded once per 4 multiply-adds.
#define DW_GATHER(NT)                                                                                       \
  static void dw_gather_##NT(float* out, int ostep, int n, int qa, int qb, const float* const* in, int nr,  \
                             const int* off, int istep, int win, const v128_t* fv, int c) {                 \
    const int os = ostep * c, is = istep * c;                                                               \
    for (int q = 0; q < n; q++) {                                                                           \
      if (q == qa) {                                                                                        \
        for (; q + 4 <= qb; q += 4) {                                                                       \
          v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;                                       \
          for (int t = 0; t < NT; t++) {                                                                    \
            for (int r = 0; r < nr; r++) {                                                                  \
              const float* s = in[r] + (q * istep + off[t]) * c;                                            \
              v128_t f = fv[t * nr + r];                                                                    \
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(s), f));                                \
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(s + is), f));                           \
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(s + 2 * is), f));                       \
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(s + 3 * is), f));                       \
            }                                                                                               \
          }                                                                                                 \
          float* o = out + q * os;                                                                          \
          wasm_v128_store(o, a0);                                                                           \
          wasm_v128_store(o + os, a1);                                                                      \
          wasm_v128_store(o + 2 * os, a2);                                                                  \
          wasm_v128_store(o + 3 * os, a3);                                                                  \
        }                                                                                                   \
        for (; q < qb; q++) {                                                                               \
          v128_t a = wasm_f32x4_splat(0);                                                                   \
          for (int t = 0; t < NT; t++) {                                                                    \
            for (int r = 0; r < nr; r++)                                                                    \
              a = wasm_f32x4_add(                                                                           \
                  a, wasm_f32x4_mul(wasm_v128_load(in[r] + (q * istep + off[t]) * c), fv[t * nr + r]));     \
          }                                                                                                 \
          wasm_v128_store(out + q * os, a);                                                                 \
        }                                                                                                   \
        if (q >= n) break;                                                                                  \
      }                                                                                                     \
      /* An edge output: check every tap. */                                                                \
      v128_t a = wasm_f32x4_splat(0);                                                                       \
      for (int t = 0; t < NT; t++) {                                                                        \
        int i = q * istep + off[t];                                                                         \
        if (i < 0 || i >= win) continue;                                                                    \
        for (int r = 0; r < nr; r++)                                                                        \
          a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(in[r] + i * c), fv[t * nr + r]));             \
      }                                                                                                     \
      wasm_v128_store(out + q * os, a);                                                                     \
    }                                                                                                       \
  }
DW_GATHER(1)
DW_GATHER(2)
DW_GATHER(3)
DW_GATHER(4)
DW_GATHER(5)
DW_GATHER(6)
DW_GATHER(7)
DW_GATHER(8)

// dw_gather_NT for nt ≤ DW_MAXK column taps; none: zeros. A switch of direct calls, not a table of function
// pointers: that would be a data segment, which instantiation would write into tfjs' heap.
static void dw_gather_cols(float* out, int ostep, int n, int qa, int qb, const float* const* in, int nr,
                           const int* off, int nt, int istep, int win, const v128_t* fv, int c) {
  switch (nt) {
    case 0:
      for (int q = 0; q < n; q++) wasm_v128_store(out + q * ostep * c, wasm_f32x4_splat(0));
      break;
    case 1: dw_gather_1(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
    case 2: dw_gather_2(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
    case 3: dw_gather_3(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
    case 4: dw_gather_4(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
    case 5: dw_gather_5(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
    case 6: dw_gather_6(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
    case 7: dw_gather_7(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
    default: dw_gather_8(out, ostep, n, qa, qb, in, nr, off, istep, win, fv, c); break;
  }
}

// The same over a list of terms e = (input row in[e], column offset off[e], filter vector fv[e]) in any
// order: out[q·ostep] = Σ_e in[e][q·istep + off[e]] · fv[e]. For sums with rows outside (strided input
// gradient); with columns outside the unrolled dw_gather_cols is faster (measured 5-25%).
static void dw_gather_terms(float* out, int ostep, int n, int qa, int qb, const float* const* in,
                            const int* off, const v128_t* fv, int terms, int istep, int win, int c) {
  const int os = ostep * c, is = istep * c;
  const float* at[DW_MAXK * DW_MAXK];  // in[e] + off[e]·c: term e's input at q = 0
  for (int e = 0; e < terms; e++) at[e] = in[e] + off[e] * c;
  for (int q = 0; q < n; q++) {
    if (q == qa) {
      for (; q + 4 <= qb; q += 4) {
        v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (int e = 0; e < terms; e++) {
          const float* s = at[e] + q * is;
          v128_t f = fv[e];
          a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(s), f));
          a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(s + is), f));
          a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(s + 2 * is), f));
          a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(s + 3 * is), f));
        }
        float* o = out + q * os;
        wasm_v128_store(o, a0);
        wasm_v128_store(o + os, a1);
        wasm_v128_store(o + 2 * os, a2);
        wasm_v128_store(o + 3 * os, a3);
      }
      for (; q < qb; q++) {
        v128_t a = wasm_f32x4_splat(0);
        for (int e = 0; e < terms; e++)
          a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(at[e] + q * is), fv[e]));
        wasm_v128_store(out + q * os, a);
      }
      if (q >= n) break;
    }
    // An edge output: check every term.
    v128_t a = wasm_f32x4_splat(0);
    for (int e = 0; e < terms; e++) {
      int i = q * istep + off[e];
      if (i >= 0 && i < win) a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(in[e] + i * c), fv[e]));
    }
    wasm_v128_store(out + q * os, a);
  }
}

// The outputs q of [qa, qb) ⊆ [0, n) whose taps q·istep + off[t] all lie in [0, win) (qa = qb when none),
// computed once per row geometry: the divisions cost as much as a short row's multiply-adds.
static void dw_interior(const int* off, int nt, int istep, int win, int n, int* qa, int* qb) {
  int a = 0, b = n;
  for (int t = 0; t < nt; t++) {
    a = imax(a, ceildiv(-off[t], istep));
    b = imin(b, floordiv(win - 1 - off[t], istep) + 1);
  }
  *qa = imin(a, n);
  *qb = imax(b, *qa);
}

// Fewer than 4 channels (PC-DARTS' 1/K of a small C: 2 channels at C=8, K=4), the filter gradient only
// (the forward and input gradient run as XNNPACK convs there, faster than scalar loops).
// Float64 sums per tap and channel (at most DW_MAXK² taps × 3 channels: 192 doubles on the stack).
static void dw_filter_grad_narrow(const float* x, const float* dy, float* dwt, int batch, int h, int w, int c,
                                  int ho, int wo, int kh, int kw, int sh, int sw, int dh, int dw, int top,
                                  int left) {
  double acc[DW_MAXK * DW_MAXK * 3];
  for (int i = 0; i < kh * kw * c; i++) acc[i] = 0.0;
  for (int b = 0; b < batch; b++)
    for (int oh = 0; oh < ho; oh++)
      for (int th = 0; th < kh; th++) {
        int ih = oh * sh + th * dh - top;
        if (ih < 0 || ih >= h) continue;
        for (int ow = 0; ow < wo; ow++) {
          const float* g = dy + (((long)b * ho + oh) * wo + ow) * c;
          for (int tw = 0; tw < kw; tw++) {
            int iw = ow * sw + tw * dw - left;
            if (iw < 0 || iw >= w) continue;
            const float* xp = x + (((long)b * h + ih) * w + iw) * c;
            double* a = acc + (th * kw + tw) * c;
            for (int ch = 0; ch < c; ch++) a[ch] += (double)xp[ch] * (double)g[ch];
          }
        }
      }
  for (int i = 0; i < kh * kw * c; i++) dwt[i] = (float)acc[i];
}

// Forward: y[b][oh][ow][k] = Σ_{tw,th} x[b][oh·sh + th·dh − top][ow·sw + tw·dw − left][k] · f[th][tw][k], summed
// with tw outside and th inside, both ascending, as XNNPACK's single-pass depthwise kernels (≤ 25 taps) do.
EXPORT void dw_forward(const float* x, const float* f, float* y, int batch, int h, int w, int c, int ho, int wo,
                       int kh, int kw, int sh, int sw, int dh, int dw, int top, int left) {
  const float* rows[DW_MAXK];
  const float* in[DW_MAXK];
  int ths[DW_MAXK], off[DW_MAXK];
  v128_t fv[DW_MAXK * DW_MAXK];
  for (int tw = 0; tw < kw; tw++) off[tw] = tw * dw - left;
  int qa, qb;
  dw_interior(off, kw, sw, w, wo, &qa, &qb);
  int blocks = (c + 3) / 4;
  for (int b = 0; b < batch; b++) {
    for (int oh = 0; oh < ho; oh++) {
      int nr = 0;
      for (int th = 0; th < kh; th++) {
        int ih = oh * sh + th * dh - top;
        if (ih < 0 || ih >= h) continue;
        rows[nr] = x + ((b * h + ih) * w) * c;
        ths[nr++] = th;
      }
      float* yrow = y + ((b * ho + oh) * wo) * c;
      for (int k = 0; k < blocks; k++) {
        int cb = block_start(k, c);
        for (int r = 0; r < nr; r++) {
          in[r] = rows[r] + cb;
          for (int tw = 0; tw < kw; tw++) fv[tw * nr + r] = wasm_v128_load(f + (ths[r] * kw + tw) * c + cb);
        }
        dw_gather_cols(yrow + cb, 1, wo, qa, qb, in, nr, off, kw, sw, w, fv, c);
      }
    }
  }
}

// Input gradient: dx[b][ih][iw] = Σ dy[b][oh][ow] · f[th][tw] over oh·sh + th·dh − top = ih and
// ow·sw + tw·dw − left = iw, as a gather: per dx row, the filter rows th that reach it; per column phase
// iw ≡ p (mod sw), the filter columns tw that reach it, at dy column iw/sw + (p + left − tw·dw)/sw. Summed
// in the order of the composed gradient (../depthwiseGradients.ts: a forward conv of dy with the flipped
// filter): at stride 1 tw outside and th inside, both descending (XNNPACK's depthwise kernel); strided, th
// outside and tw inside, both descending (the sub-pixel phases are a channel multiplier there, which
// XNNPACK runs as a grouped GEMM). "Strided" is the stride left once ../convolve.ts has divided out
// gcd(stride, dilation): stride 2 with dilation 2 is a stride-1 conv on every other pixel there.
EXPORT void dw_input_grad(const float* dy, const float* f, float* dx, int batch, int h, int w, int c, int ho,
                          int wo, int kh, int kw, int sh, int sw, int dh, int dw, int top, int left) {
  const float* rows[DW_MAXK];
  const float* in[DW_MAXK * DW_MAXK];
  int ths[DW_MAXK], tws[DW_MAXK], off[DW_MAXK], toff[DW_MAXK * DW_MAXK];
  v128_t fv[DW_MAXK * DW_MAXK];
  int blocks = (c + 3) / 4;
  int strided = sh / igcd(sh, dh) > 1 || sw / igcd(sw, dw) > 1;
  for (int b = 0; b < batch; b++) {
    for (int ih = 0; ih < h; ih++) {
      int nr = 0;
      for (int th = kh - 1; th >= 0; th--) {
        int num = ih + top - th * dh;
        if (num < 0 || num % sh != 0 || num / sh >= ho) continue;
        rows[nr] = dy + ((b * ho + num / sh) * wo) * c;
        ths[nr++] = th;
      }
      float* dxrow = dx + ((b * h + ih) * w) * c;
      for (int p = 0; p < sw && p < w; p++) {
        int nt = 0;
        for (int tw = kw - 1; tw >= 0; tw--) {
          int m = p + left - tw * dw;
          if (((m % sw) + sw) % sw != 0) continue;
          off[nt] = m / sw;  // exact: m is a multiple of sw
          tws[nt++] = tw;
        }
        int n = (w - p + sw - 1) / sw, qa, qb;
        dw_interior(off, nt, 1, wo, n, &qa, &qb);
        float* o = dxrow + p * c;
        for (int k = 0; k < blocks; k++) {
          int cb = block_start(k, c);
          if (!strided) {
            for (int r = 0; r < nr; r++) {
              in[r] = rows[r] + cb;
              for (int t = 0; t < nt; t++) fv[t * nr + r] = wasm_v128_load(f + (ths[r] * kw + tws[t]) * c + cb);
            }
            dw_gather_cols(o + cb, sw, n, qa, qb, in, nr, off, nt, 1, wo, fv, c);
            continue;
          }
          int e = 0;
          for (int r = 0; r < nr; r++) {
            for (int t = 0; t < nt; t++, e++) {
              in[e] = rows[r] + cb;
              toff[e] = off[t];
              fv[e] = wasm_v128_load(f + (ths[r] * kw + tws[t]) * c + cb);
            }
          }
          dw_gather_terms(o + cb, sw, n, qa, qb, in, toff, fv, e, 1, wo, c);
        }
      }
    }
  }
}

// Filter gradient: dw[th][tw][k] = Σ_{b,oh,ow} x[b][oh·sh + th·dh − top][ow·sw + tw·dw − left][k] · dy[b][oh][ow][k].
// For one (b, oh, th) row pair and channel block, the kw tap sums over ow stay in float32 registers (one
// dy load serves every tap), then are added to float64 accumulators on the stack: a whole-batch float32
// sum would lose digits on large batches. Channel blocks are taken in chunks whose accumulators fit.
#define DW_ACC (2048)  // v128 slots (float64 pairs): 32 KiB of the 64 KiB stack

#define DW_FG_ROW(KW)                                                                                      \
  static void dw_fg_row_##KW(const float* xr, const float* g, v128_t* acc, int c, int sw, const int* off,   \
                             const int* jlo, const int* jhi, int ja, int jb, int wo) {                     \
    v128_t s[KW];                                                                                          \
    for (int t = 0; t < KW; t++) s[t] = wasm_f32x4_splat(0);                                               \
    for (int j = 0; j < wo; j++) {                                                                         \
      if (j == ja) {                                                                                       \
        for (; j < jb; j++) {                                                                              \
          v128_t d = wasm_v128_load(g + j * c);                                                            \
          const float* p = xr + j * sw * c;                                                                \
          for (int t = 0; t < KW; t++)                                                                     \
            s[t] = wasm_f32x4_add(s[t], wasm_f32x4_mul(wasm_v128_load(p + off[t] * c), d));                \
        }                                                                                                  \
        if (j >= wo) break;                                                                                \
      }                                                                                                    \
      v128_t d = wasm_v128_load(g + j * c);                                                                \
      for (int t = 0; t < KW; t++) {                                                                       \
        if (j >= jlo[t] && j < jhi[t])                                                                     \
          s[t] = wasm_f32x4_add(s[t], wasm_f32x4_mul(wasm_v128_load(xr + (j * sw + off[t]) * c), d));      \
      }                                                                                                    \
    }                                                                                                      \
    for (int t = 0; t < KW; t++) {                                                                         \
      acc[2 * t] = wasm_f64x2_add(acc[2 * t], wasm_f64x2_promote_low_f32x4(s[t]));                          \
      acc[2 * t + 1] =                                                                                     \
          wasm_f64x2_add(acc[2 * t + 1], wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(s[t], s[t], 2, 3, 0, 1))); \
    }                                                                                                      \
  }
DW_FG_ROW(1)
DW_FG_ROW(2)
DW_FG_ROW(3)
DW_FG_ROW(4)
DW_FG_ROW(5)
DW_FG_ROW(6)
DW_FG_ROW(7)
DW_FG_ROW(8)

// One (b, oh, th) row pair for any kw ≤ DW_MAXK. A switch of direct calls, not a table of function
// pointers: that would be a data segment, which instantiation would write into tfjs' heap.
static void dw_fg_row(int kw, const float* xr, const float* g, v128_t* acc, int c, int sw, const int* off,
                      const int* jlo, const int* jhi, int ja, int jb, int wo) {
  switch (kw) {
    case 1: dw_fg_row_1(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
    case 2: dw_fg_row_2(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
    case 3: dw_fg_row_3(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
    case 4: dw_fg_row_4(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
    case 5: dw_fg_row_5(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
    case 6: dw_fg_row_6(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
    case 7: dw_fg_row_7(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
    default: dw_fg_row_8(xr, g, acc, c, sw, off, jlo, jhi, ja, jb, wo); break;
  }
}

EXPORT void dw_filter_grad(const float* x, const float* dy, float* dwt, int batch, int h, int w, int c, int ho,
                           int wo, int kh, int kw, int sh, int sw, int dh, int dw, int top, int left) {
  if (c < 4) {
    dw_filter_grad_narrow(x, dy, dwt, batch, h, w, c, ho, wo, kh, kw, sh, sw, dh, dw, top, left);
    return;
  }
  v128_t acc[DW_ACC];
  int off[DW_MAXK], jlo[DW_MAXK], jhi[DW_MAXK];
  int ja = 0, jb = wo;
  for (int tw = 0; tw < kw; tw++) {
    off[tw] = tw * dw - left;
    jlo[tw] = imax(0, ceildiv(-off[tw], sw));
    jhi[tw] = imin(wo, floordiv(w - 1 - off[tw], sw) + 1);
    ja = imax(ja, jlo[tw]);
    jb = imin(jb, jhi[tw]);
  }
  ja = imin(ja, wo);
  if (jb < ja) jb = ja;
  int blocks = (c + 3) / 4;
  int chunk = DW_ACC / (2 * kh * kw);  // blocks per pass
  for (int k0 = 0; k0 < blocks; k0 += chunk) {
    int k1 = imin(blocks, k0 + chunk);
    int per = 2 * kw * (k1 - k0);  // acc slots of one filter row th
    for (int i = 0; i < kh * per; i++) acc[i] = wasm_f64x2_splat(0);
    for (int b = 0; b < batch; b++) {
      for (int oh = 0; oh < ho; oh++) {
        const float* g = dy + ((b * ho + oh) * wo) * c;
        for (int th = 0; th < kh; th++) {
          int ih = oh * sh + th * dh - top;
          if (ih < 0 || ih >= h) continue;
          const float* xr = x + ((b * h + ih) * w) * c;
          for (int k = k0; k < k1; k++) {
            int cb = block_start(k, c);
            dw_fg_row(kw, xr + cb, g + cb, acc + th * per + 2 * kw * (k - k0), c, sw, off, jlo, jhi, ja, jb, wo);
          }
        }
      }
    }
    for (int th = 0; th < kh; th++) {
      for (int k = k0; k < k1; k++) {
        int cb = block_start(k, c);
        const v128_t* a = acc + th * per + 2 * kw * (k - k0);
        for (int tw = 0; tw < kw; tw++) {
          float* o = dwt + (th * kw + tw) * c + cb;
          o[0] = (float)wasm_f64x2_extract_lane(a[2 * tw], 0);
          o[1] = (float)wasm_f64x2_extract_lane(a[2 * tw], 1);
          o[2] = (float)wasm_f64x2_extract_lane(a[2 * tw + 1], 0);
          o[3] = (float)wasm_f64x2_extract_lane(a[2 * tw + 1], 1);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Max-pooling gradient, NHWC, square window `k`, stride `s`, symmetric padding `p`: dy goes to the first
// maximum of each window in row-major order, a NaN replacing the maximum found so far (PyTorch's CPU rule,
// the JS kernel's in poolKernels.ts). dx is zeroed first, then the windows are visited in the JS kernel's
// order (batch, output row, output column, channel), so overlapping windows add in the same order: the
// results are the JS kernel's bit for bit. Channels go 4 to a vector; the last c % 4 one at a time.
EXPORT void max_pool_grad(const float* dy, const float* x, float* dx, int batch, int h, int w, int c, int oh,
                          int ow, int k, int s, int p) {
  long total = (long)batch * h * w * c;
  for (long i = 0; i < total; i++) dx[i] = 0.0f;
  int c4 = c & ~3;
  for (int b = 0; b < batch; b++) {
    const float* xb = x + (long)b * h * w * c;
    float* dxb = dx + (long)b * h * w * c;
    for (int oy = 0; oy < oh; oy++) {
      int y0 = oy * s - p, y1 = imin(y0 + k, h);
      y0 = imax(y0, 0);
      for (int ox = 0; ox < ow; ox++) {
        int x0 = ox * s - p, x1 = imin(x0 + k, w);
        x0 = imax(x0, 0);
        const float* g = dy + (((long)b * oh + oy) * ow + ox) * c;
        if (y0 >= y1 || x0 >= x1) continue;
        for (int ch = 0; ch < c4; ch += 4) {
          int first = (y0 * w + x0) * c + ch;
          v128_t best = wasm_v128_load(xb + first);
          v128_t at = wasm_i32x4_splat(first);
          for (int iy = y0; iy < y1; iy++) {
            for (int ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {
              int i = (iy * w + ix) * c + ch;
              v128_t v = wasm_v128_load(xb + i);
              v128_t take = wasm_v128_or(wasm_f32x4_gt(v, best), wasm_f32x4_ne(v, v));
              best = wasm_v128_bitselect(v, best, take);
              at = wasm_v128_bitselect(wasm_i32x4_splat(i), at, take);
            }
          }
          dxb[wasm_i32x4_extract_lane(at, 0)] += g[ch];
          dxb[wasm_i32x4_extract_lane(at, 1) + 1] += g[ch + 1];
          dxb[wasm_i32x4_extract_lane(at, 2) + 2] += g[ch + 2];
          dxb[wasm_i32x4_extract_lane(at, 3) + 3] += g[ch + 3];
        }
        for (int ch = c4; ch < c; ch++) {
          int at = (y0 * w + x0) * c + ch;
          float best = xb[at];
          for (int iy = y0; iy < y1; iy++) {
            for (int ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {
              int i = (iy * w + ix) * c + ch;
              float v = xb[i];
              if (v > best || v != v) {
                best = v;
                at = i;
              }
            }
          }
          dxb[at] += g[ch];
        }
      }
    }
  }
}
