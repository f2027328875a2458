// Row-wise softmax, log-softmax and the fused softmax cross-entropy (nll), rows in parallel.
#pragma once

#include <cstdint>

#include "parallel.hpp"
#include "vecmath.hpp"

namespace pgk {

template <class T> inline T row_max(const T* x, int64_t c) {
    T m = x[0];
    for (int64_t j = 1; j < c; ++j) m = x[j] > m ? x[j] : m;
    return m;
}

// y = softmax(x) (log=false) or log_softmax(x) (log=true) of every row of an (m, c) matrix.
template <class T> void softmax_rows(const T* x, T* y, int64_t m, int64_t c, bool log) {
#pragma omp parallel for num_threads(threads_for(m * c)) schedule(static)
    for (int64_t i = 0; i < m; ++i) {
        const T* xi = x + i * c;
        T* yi = y + i * c;
        const T top = row_max(xi, c);
        T total = 0;
#pragma omp simd reduction(+ : total)
        for (int64_t j = 0; j < c; ++j) {
            T e = vexp(xi[j] - top);
            yi[j] = log ? xi[j] - top : e;
            total += e;
        }
        if (log) {
            const T lt = vlog(total);
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) yi[j] -= lt;
        } else {
            const T inv = T(1) / total;
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) yi[j] *= inv;
        }
    }
}

// dx = softmax'(y)^T dy (log=false) or log_softmax'(y)^T dy (log=true), per row.
template <class T> void softmax_rows_grad(const T* dy, const T* y, T* dx, int64_t m, int64_t c,
                                          bool log) {
#pragma omp parallel for num_threads(threads_for(m * c)) schedule(static)
    for (int64_t i = 0; i < m; ++i) {
        const T* g = dy + i * c;
        const T* yi = y + i * c;
        T* out = dx + i * c;
        T s = 0;
        if (log) {
#pragma omp simd reduction(+ : s)
            for (int64_t j = 0; j < c; ++j) s += g[j];
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) out[j] = g[j] - vexp(yi[j]) * s;
        } else {
#pragma omp simd reduction(+ : s)
            for (int64_t j = 0; j < c; ++j) s += g[j] * yi[j];
#pragma omp simd
            for (int64_t j = 0; j < c; ++j) out[j] = g[j] * yi[j] - yi[j] * s;
        }
    }
}

// Per row i: e = exp(s - max), total = sum(e), loss_i = (log total + max - s[pick_i]) * keep_i.
template <class T> void nll_rows(const T* s, const int64_t* picks, const uint8_t* keep, T* e,
                                 T* total, T* losses, int64_t m, int64_t c) {
#pragma omp parallel for num_threads(threads_for(m * c)) schedule(static)
    for (int64_t i = 0; i < m; ++i) {
        const T* si = s + i * c;
        T* ei = e + i * c;
        const T top = row_max(si, c);
        T sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < c; ++j) {
            ei[j] = vexp(si[j] - top);
            sum += ei[j];
        }
        total[i] = sum;
        losses[i] = keep[i] ? (vlog(sum) + top) - si[picks[i]] : T(0);
    }
}

// p = (e / total - onehot(picks)) * weight per row: the gradient of nll's rows.
template <class T> void nll_rows_grad(const T* e, const T* total, const int64_t* picks,
                                      const T* weight, T* p, int64_t m, int64_t c) {
#pragma omp parallel for num_threads(threads_for(m * c)) schedule(static)
    for (int64_t i = 0; i < m; ++i) {
        const T* ei = e + i * c;
        T* pi = p + i * c;
        const T t = total[i], w = weight[i];
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) pi[j] = (ei[j] / t) * w;
        pi[picks[i]] = (ei[picks[i]] / t - T(1)) * w;
    }
}

}  // namespace pgk
