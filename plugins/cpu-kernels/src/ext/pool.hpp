// 2-D max and average pooling of (N*C, H, W) planes, forward and backward, planes in parallel.
#pragma once

#include <cstdint>
#include <limits>

#include "parallel.hpp"

namespace pgk {

struct Pool2d {
    int64_t planes, h, w, oh, ow;
    int64_t kh, kw, ph, pw, sh, sw;
    int mode;  // 0, 3 max; 1 average counting padding; 2 average over real inputs
};

inline bool tiles2x2(const Pool2d& g) {
    return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0;
}

// The common 2x2, stride-2, unpadded case: one pass over pairs of input rows, with the
// window's four members read at fixed offsets (the compiler vectorizes the j loop).
template <class T> void pool2x2_forward(const Pool2d& g, const T* x, T* y, int32_t* arg) {
    const bool maxpool = g.mode == 0 || g.mode == 3;
#pragma omp parallel for num_threads(threads_for(g.planes * g.h * g.w)) schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
        for (int64_t i = 0; i < g.oh; ++i) {
            const T* r0 = x + p * g.h * g.w + 2 * i * g.w;
            const T* r1 = r0 + g.w;
            T* out = y + (p * g.oh + i) * g.ow;
            int32_t* a = arg ? arg + (p * g.oh + i) * g.ow : nullptr;
            const int32_t base = static_cast<int32_t>(2 * i * g.w);
            if (!maxpool) {
#pragma omp simd
                for (int64_t j = 0; j < g.ow; ++j)
                    out[j] = ((r0[2 * j] + r0[2 * j + 1]) + (r1[2 * j] + r1[2 * j + 1])) / T(4);
                continue;
            }
            for (int64_t j = 0; j < g.ow; ++j) {  // ties go to the first, row-major
                const T v00 = r0[2 * j], v01 = r0[2 * j + 1], v10 = r1[2 * j], v11 = r1[2 * j + 1];
                T best = v00;
                int32_t at = 0;
                at = v01 > best ? 1 : at;
                best = v01 > best ? v01 : best;
                at = v10 > best ? 2 : at;
                best = v10 > best ? v10 : best;
                at = v11 > best ? 3 : at;
                best = v11 > best ? v11 : best;
                out[j] = best;
                if (a) a[j] = base + static_cast<int32_t>(2 * j) + (at & 1) + (at >> 1) * static_cast<int32_t>(g.w);
            }
        }
    }
}

// y[p, i, j]; for max pooling also arg[p, i, j], the flat (h*w) index of the maximum
// (the first one in the window's row-major order wins ties, as the portable path does).
template <class T> void pool2d_forward(const Pool2d& g, const T* x, T* y, int32_t* arg) {
    if (tiles2x2(g)) return pool2x2_forward(g, x, y, arg);
    const bool maxpool = g.mode == 0 || g.mode == 3;
#pragma omp parallel for num_threads(threads_for(g.planes * g.h * g.w)) schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
        const T* xp = x + p * g.h * g.w;
        T* yp = y + p * g.oh * g.ow;
        int32_t* ap = arg ? arg + p * g.oh * g.ow : nullptr;
        for (int64_t i = 0; i < g.oh; ++i) {
            const int64_t r0 = i * g.sh - g.ph;
            const int64_t ra = r0 < 0 ? 0 : r0, rb = r0 + g.kh < g.h ? r0 + g.kh : g.h;
            for (int64_t j = 0; j < g.ow; ++j) {
                const int64_t c0 = j * g.sw - g.pw;
                const int64_t ca = c0 < 0 ? 0 : c0, cb = c0 + g.kw < g.w ? c0 + g.kw : g.w;
                if (maxpool) {
                    T best = -std::numeric_limits<T>::infinity();
                    int32_t where = static_cast<int32_t>(ra * g.w + ca);
                    for (int64_t r = ra; r < rb; ++r)
                        for (int64_t c = ca; c < cb; ++c) {
                            const T v = xp[r * g.w + c];
                            const bool gt = v > best;  // selects, not a branch: maxima
                            best = gt ? v : best;      // fall unpredictably
                            where = gt ? static_cast<int32_t>(r * g.w + c) : where;
                        }
                    yp[i * g.ow + j] = best;
                    if (ap) ap[i * g.ow + j] = where;
                } else {
                    T sum = 0;
                    for (int64_t r = ra; r < rb; ++r)
                        for (int64_t c = ca; c < cb; ++c) sum += xp[r * g.w + c];
                    const int64_t count = g.mode == 1 ? g.kh * g.kw : (rb - ra) * (cb - ca);
                    yp[i * g.ow + j] = sum / T(count);
                }
            }
        }
    }
}

// dx (zeroed by the caller) receives dy routed to the maxima or spread over the windows.
template <class T> void pool2d_backward(const Pool2d& g, const T* dy, const int32_t* arg, T* dx) {
    const bool maxpool = g.mode == 0 || g.mode == 3;
#pragma omp parallel for num_threads(threads_for(g.planes * g.h * g.w)) schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
        const T* gp = dy + p * g.oh * g.ow;
        T* xp = dx + p * g.h * g.w;
        if (maxpool) {
            const int32_t* ap = arg + p * g.oh * g.ow;
            for (int64_t k = 0; k < g.oh * g.ow; ++k) xp[ap[k]] += gp[k];
            continue;
        }
        if (tiles2x2(g)) {  // each input receives a quarter of its one window's gradient
            for (int64_t i = 0; i < g.oh; ++i) {
                T* r0 = xp + 2 * i * g.w;
                T* r1 = r0 + g.w;
                const T* d = gp + i * g.ow;
#pragma omp simd
                for (int64_t j = 0; j < g.ow; ++j) {
                    const T share = d[j] / T(4);
                    r0[2 * j] = share;
                    r0[2 * j + 1] = share;
                    r1[2 * j] = share;
                    r1[2 * j + 1] = share;
                }
            }
            continue;
        }
        for (int64_t i = 0; i < g.oh; ++i) {
            const int64_t r0 = i * g.sh - g.ph;
            const int64_t ra = r0 < 0 ? 0 : r0, rb = r0 + g.kh < g.h ? r0 + g.kh : g.h;
            for (int64_t j = 0; j < g.ow; ++j) {
                const int64_t c0 = j * g.sw - g.pw;
                const int64_t ca = c0 < 0 ? 0 : c0, cb = c0 + g.kw < g.w ? c0 + g.kw : g.w;
                const int64_t count = g.mode == 1 ? g.kh * g.kw : (rb - ra) * (cb - ca);
                const T share = gp[i * g.ow + j] / T(count);
                for (int64_t r = ra; r < rb; ++r)
                    for (int64_t c = ca; c < cb; ++c) xp[r * g.w + c] += share;
            }
        }
    }
}

}  // namespace pgk
