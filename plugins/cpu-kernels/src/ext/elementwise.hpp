// Elementwise kernels: exp, log, tanh, sigmoid and the activations with their gradients.
#pragma once

#include <cmath>
#include <cstdint>

#include "parallel.hpp"
#include "vecmath.hpp"

namespace pgk {

enum class Act : int { relu = 0, leaky_relu, elu, sigm, tanh, gelu, gelu_tanh, exp, log };

constexpr double kSqrtHalf = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;
constexpr double kGeluK = 0.7978845608028654;
constexpr double kGeluC = 0.044715;

// y = f(x) for n contiguous elements; `alpha` is leaky_relu's slope or elu's scale.
template <class T> void activate(Act act, const T* x, T* y, int64_t n, T alpha) {
    const int nt = threads_for(n);
    switch (act) {
    case Act::relu:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
        break;
    case Act::leaky_relu:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : x[i] * alpha;
        break;
    case Act::elu:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            T v = x[i];
            y[i] = v > T(0) ? v : alpha * vexpm1(v < T(0) ? v : T(0));
        }
        break;
    case Act::sigm:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = vsigmoid(x[i]);
        break;
    case Act::tanh:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = vtanh(x[i]);
        break;
    case Act::exp:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = vexp(x[i]);
        break;
    case Act::log:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = vlog(x[i]);
        break;
    case Act::gelu:  // erf has no vectorized form here: threads only
#pragma omp parallel for num_threads(threads_for(n * 8)) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            T v = x[i];
            y[i] = T(0.5) * v * (T(1) + T(std::erf(double(v * T(kSqrtHalf)))));
        }
        break;
    case Act::gelu_tanh:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            T v = x[i];
            T t = vtanh(T(kGeluK) * (v + T(kGeluC) * v * v * v));
            y[i] = T(0.5) * v * (T(1) + t);
        }
        break;
    }
}

// dx = dy * f'(x), with f' written through y = f(x) where that is cheaper.
template <class T>
void activate_grad(Act act, const T* dy, const T* x, const T* y, T* dx, int64_t n, T alpha) {
    const int nt = threads_for(n);
    switch (act) {
    case Act::relu:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
        break;
    case Act::leaky_relu:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : dy[i] * alpha;
        break;
    case Act::elu:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : dy[i] * (y[i] + alpha);
        break;
    case Act::sigm:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
        break;
    case Act::tanh:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
        break;
    case Act::exp:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i];
        break;
    case Act::log:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] / x[i];
        break;
    case Act::gelu:
#pragma omp parallel for num_threads(threads_for(n * 8)) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            T v = x[i];
            T cdf = T(0.5) * (T(1) + T(std::erf(double(v * T(kSqrtHalf)))));
            dx[i] = dy[i] * (cdf + v * vexp(T(-0.5) * v * v) * T(kInvSqrt2Pi));
        }
        break;
    case Act::gelu_tanh:
#pragma omp parallel for simd num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            T v = x[i];
            T t = vtanh(T(kGeluK) * (v + T(kGeluC) * v * v * v));
            T slope = T(0.5) * (T(1) + t) +
                      T(0.5) * v * (T(1) - t * t) * T(kGeluK) * (T(1) + T(3 * kGeluC) * v * v);
            dx[i] = dy[i] * slope;
        }
        break;
    }
}

// out[c] = sum of g over every axis but the channel axis of g viewed as (lead, C, inner).
template <class T> void bias_grad(const T* g, T* out, int64_t lead, int64_t c, int64_t inner) {
    const int nt = threads_for(lead * c * inner);
    if (inner == 1) {  // dense: sum the rows, each thread a band of columns
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t j0 = 0; j0 < c; j0 += 64) {
            int64_t j1 = j0 + 64 < c ? j0 + 64 : c;
            double acc[64] = {0};
            for (int64_t r = 0; r < lead; ++r) {
                const T* row = g + r * c;
#pragma omp simd
                for (int64_t j = j0; j < j1; ++j) acc[j - j0] += row[j];
            }
            for (int64_t j = j0; j < j1; ++j) out[j] = T(acc[j - j0]);
        }
        return;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t j = 0; j < c; ++j) {
        double acc = 0;
        for (int64_t r = 0; r < lead; ++r) {
            const T* p = g + (r * c + j) * inner;
            T part = 0;
#pragma omp simd reduction(+ : part)
            for (int64_t k = 0; k < inner; ++k) part += p[k];
            acc += part;
        }
        out[j] = T(acc);
    }
}

}  // namespace pgk
