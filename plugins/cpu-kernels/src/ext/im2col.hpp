// im2col and col2im for 2-D convolution. Rows run (channel, kernel row, kernel column).
// Two layouts: batched (C*kh*kw, N*OH*OW), columns (instance, output position), so that
// one GEMM per group covers the whole batch; per instance (N, C*kh*kw, OH*OW), one
// contiguous matrix per instance.
#pragma once

#include <cstdint>
#include <cstring>

#include "parallel.hpp"

namespace pgk {

struct Conv2d {
    int64_t n, c, h, w, oh, ow;
    int64_t kh, kw, ph, pw, sh, sw, dh, dw;
};

// The output columns j in [lo, hi) whose input column j*stride + off lies inside [0, w).
inline void valid_range(int64_t n_out, int64_t stride, int64_t off, int64_t w, int64_t& lo,
                        int64_t& hi) {
    lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
    hi = off >= w ? 0 : (w - 1 - off) / stride + 1;
    hi = hi < n_out ? hi : n_out;
    lo = lo < hi ? lo : hi;
}

// One output row of the columns: x's plane for one (instance, channel, kernel offset).
template <class T>
inline void gather_row(const Conv2d& g, const T* plane, T* out, int64_t ki, int64_t kj) {
    const int64_t off = kj * g.dw - g.pw;
    int64_t lo, hi;
    valid_range(g.ow, g.sw, off, g.w, lo, hi);
    for (int64_t i = 0; i < g.oh; ++i) {
        const int64_t r = i * g.sh - g.ph + ki * g.dh;
        T* o = out + i * g.ow;
        if (r < 0 || r >= g.h) {
            std::memset(o, 0, sizeof(T) * g.ow);
            continue;
        }
        const T* src = plane + r * g.w + off;
        for (int64_t j = 0; j < lo; ++j) o[j] = T(0);
        if (g.sw == 1) {
            std::memcpy(o + lo, src + lo, sizeof(T) * (hi - lo));
        } else {
            for (int64_t j = lo; j < hi; ++j) o[j] = src[j * g.sw];
        }
        for (int64_t j = hi; j < g.ow; ++j) o[j] = T(0);
    }
}

// Where row r of instance b starts, in either layout.
struct ColumnLayout {
    int64_t row, batch;
    ColumnLayout(const Conv2d& g, bool per_instance) {
        const int64_t L = g.oh * g.ow;
        row = per_instance ? L : g.n * L;
        batch = per_instance ? g.c * g.kh * g.kw * L : L;
    }
};

template <class T> void im2col2d(const Conv2d& g, const T* x, T* cols, bool per_instance) {
    const int64_t L = g.oh * g.ow, K = g.kh * g.kw;
    const ColumnLayout at(g, per_instance);
#pragma omp parallel for collapse(2) num_threads(threads_for(g.n * g.c * K * L)) schedule(static)
    for (int64_t b = 0; b < g.n; ++b)
        for (int64_t ch = 0; ch < g.c; ++ch) {
            const T* plane = x + (b * g.c + ch) * g.h * g.w;
            for (int64_t k = 0; k < K; ++k)
                gather_row(g, plane, cols + (ch * K + k) * at.row + b * at.batch, k / g.kw, k % g.kw);
        }
}

// dx (N, C, H, W) = the sum of every column back into its receptive field.
template <class T> void col2im2d(const Conv2d& g, const T* cols, T* dx, bool per_instance) {
    const int64_t L = g.oh * g.ow, K = g.kh * g.kw;
    const ColumnLayout at(g, per_instance);
#pragma omp parallel for collapse(2) num_threads(threads_for(g.n * g.c * K * L)) schedule(static)
    for (int64_t b = 0; b < g.n; ++b)
        for (int64_t ch = 0; ch < g.c; ++ch) {
            T* plane = dx + (b * g.c + ch) * g.h * g.w;
            std::memset(plane, 0, sizeof(T) * g.h * g.w);
            for (int64_t k = 0; k < K; ++k) {
                const int64_t ki = k / g.kw, kj = k % g.kw;
                const T* src = cols + (ch * K + k) * at.row + b * at.batch;
                const int64_t off = kj * g.dw - g.pw;
                int64_t lo, hi;
                valid_range(g.ow, g.sw, off, g.w, lo, hi);
                for (int64_t i = 0; i < g.oh; ++i) {
                    const int64_t r = i * g.sh - g.ph + ki * g.dh;
                    if (r < 0 || r >= g.h) continue;
                    T* dst = plane + r * g.w + off;
                    const T* s = src + i * g.ow;
                    if (g.sw == 1) {
#pragma omp simd
                        for (int64_t j = lo; j < hi; ++j) dst[j] += s[j];
                    } else {
                        for (int64_t j = lo; j < hi; ++j) dst[j * g.sw] += s[j];
                    }
                }
            }
        }
}

// (A, B, L) -> (B, A, L): swap the two leading axes of a contiguous array, in parallel.
template <class T> void swap_leading(const T* x, T* y, int64_t a, int64_t b, int64_t l) {
#pragma omp parallel for collapse(2) num_threads(threads_for(a * b * l)) schedule(static)
    for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < a; ++j) std::memcpy(y + (i * a + j) * l, x + (j * b + i) * l, sizeof(T) * l);
}

}  // namespace pgk
