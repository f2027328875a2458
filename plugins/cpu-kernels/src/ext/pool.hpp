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

// y[p, i, j]; for max pooling also arg[p, i, j], the flat (h*w) index of the maximum
// (the first one in the window's row-major order wins ties, as the portable path does).
template <class T> void pool2d_forward(const Pool2d& g, const T* x, T* y, int32_t* arg) {
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
                            if (v > best) {
                                best = v;
                                where = static_cast<int32_t>(r * g.w + c);
                            }
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
