// Branch-free exp, expm1, log and tanh that GCC vectorizes inside plain loops.
//
// Each is a range reduction plus a polynomial, with the degree chosen per type: float
// results are within a few ulp of the correctly rounded value, double results within
// about 1e-15 relative. Infinities, NaN, zeros and subnormals follow numpy's results.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace pgk {

template <class T> struct Bits;
template <> struct Bits<float> {
    using Int = int32_t;
    static constexpr int mantissa = 23, bias = 127;
};
template <> struct Bits<double> {
    using Int = int64_t;
    static constexpr int mantissa = 52, bias = 1023;
};

template <class T> inline typename Bits<T>::Int to_bits(T x) {
    typename Bits<T>::Int i;
    std::memcpy(&i, &x, sizeof i);
    return i;
}

template <class T> inline T from_bits(typename Bits<T>::Int i) {
    T x;
    std::memcpy(&x, &i, sizeof x);
    return x;
}

// 2**n for an integer-valued n within the normal exponent range.
template <class T> inline T pow2(T n) {
    using Int = typename Bits<T>::Int;
    return from_bits<T>(static_cast<Int>(static_cast<Int>(n) + Bits<T>::bias) << Bits<T>::mantissa);
}

template <class T> struct Consts;
template <> struct Consts<float> {
    static constexpr float lo = -110.0f, hi = 90.0f, tanh_big = 9.5f;
};
template <> struct Consts<double> {
    static constexpr double lo = -760.0, hi = 720.0, tanh_big = 19.5;
};

constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2Hi = 0.693145751953125;       // exact in float: n * kLn2Hi is exact
constexpr double kLn2Lo = 1.428606820309417232e-06;  // ln 2 - kLn2Hi

// exp(r) - 1 for |r| <= ln2/2: Taylor terms (enough for the type's precision).
template <class T> inline T expm1_poly(T r) {
    if constexpr (sizeof(T) == 4) {
        T p = T(1.0 / 5040);
        p = p * r + T(1.0 / 720);
        p = p * r + T(1.0 / 120);
        p = p * r + T(1.0 / 24);
        p = p * r + T(1.0 / 6);
        p = p * r + T(0.5);
        return r + r * r * p;
    } else {
        T p = T(1.0 / 6227020800.0);  // 1/13!
        p = p * r + T(1.0 / 479001600.0);
        p = p * r + T(1.0 / 39916800.0);
        p = p * r + T(1.0 / 3628800.0);
        p = p * r + T(1.0 / 362880.0);
        p = p * r + T(1.0 / 40320.0);
        p = p * r + T(1.0 / 5040.0);
        p = p * r + T(1.0 / 720.0);
        p = p * r + T(1.0 / 120.0);
        p = p * r + T(1.0 / 24.0);
        p = p * r + T(1.0 / 6.0);
        p = p * r + T(0.5);
        return r + r * r * p;
    }
}

// Splits x = n ln2 + r with |r| <= ln2/2 (x already clamped to the finite range).
template <class T> inline T reduce(T x, T& n) {
    n = std::floor(x * T(kLog2e) + T(0.5));
    return (x - n * T(kLn2Hi)) - n * T(kLn2Lo);
}

template <class T> inline T vexp(T x) {
    T c = x < Consts<T>::lo ? Consts<T>::lo : (x > Consts<T>::hi ? Consts<T>::hi : x);
    T n;
    T r = reduce(c, n);
    T p = expm1_poly(r) + T(1);
    // 2**n in two halves, so that overflow gives inf and underflow gives subnormals or 0.
    T half = std::floor(n * T(0.5));
    T y = p * pow2(half) * pow2(n - half);
    return x != x ? x : y;
}

template <class T> inline T vexpm1(T x) {
    T c = x < Consts<T>::lo ? Consts<T>::lo : (x > Consts<T>::hi ? Consts<T>::hi : x);
    T n;
    T r = reduce(c, n);
    T p = expm1_poly(r);
    T half = std::floor(n * T(0.5));
    T s1 = pow2(half), s2 = pow2(n - half);
    T scale = s1 * s2;
    T y = n == T(0) ? p : (p * s1) * s2 + (scale - T(1));
    return x != x ? x : y;
}

// log(1 + f) - f for m = 1 + f in [sqrt(1/2), sqrt(2)), through s = f / (2 + f).
template <class T> inline T log_mantissa(T m) {
    T f = m - T(1);
    T s = f / (T(2) + f);
    T z = s * s;
    T p;
    if constexpr (sizeof(T) == 4) {
        p = T(1.0 / 11);
        p = p * z + T(1.0 / 9);
        p = p * z + T(1.0 / 7);
        p = p * z + T(1.0 / 5);
        p = p * z + T(1.0 / 3);
    } else {
        p = T(1.0 / 23);
        p = p * z + T(1.0 / 21);
        p = p * z + T(1.0 / 19);
        p = p * z + T(1.0 / 17);
        p = p * z + T(1.0 / 15);
        p = p * z + T(1.0 / 13);
        p = p * z + T(1.0 / 11);
        p = p * z + T(1.0 / 9);
        p = p * z + T(1.0 / 7);
        p = p * z + T(1.0 / 5);
        p = p * z + T(1.0 / 3);
    }
    // log(m) = 2 atanh(s) = 2s + 2s z p = f - s f + 2 s z p  (f - s f = 2s exactly)
    return T(2) * s + T(2) * s * z * p;
}

template <class T> inline T vlog(T x) {
    using Int = typename Bits<T>::Int;
    constexpr int M = Bits<T>::mantissa;
    const T tiny = std::numeric_limits<T>::min();
    bool sub = x < tiny;
    T xs = sub ? x * T(18014398509481984.0) : x;  // 2**54 lifts subnormals to normal
    Int i = to_bits(xs);
    Int e = ((i >> M) & ((Int(1) << (sizeof(T) * 8 - 1 - M)) - 1)) - Bits<T>::bias;
    T m = from_bits<T>((i & ((Int(1) << M) - 1)) | (Int(Bits<T>::bias) << M));
    bool big = m > T(1.4142135623730951);
    m = big ? m * T(0.5) : m;
    T k = T(e) + (big ? T(1) : T(0)) - (sub ? T(54) : T(0));
    T y = k * T(kLn2Hi) + (log_mantissa(m) + k * T(kLn2Lo));
    const T inf = std::numeric_limits<T>::infinity();
    y = x == inf ? inf : y;
    y = x == T(0) ? -inf : y;
    y = x < T(0) ? std::numeric_limits<T>::quiet_NaN() : y;
    return x != x ? x : y;
}

template <class T> inline T vtanh(T x) {
    T a = std::fabs(x);
    T c = a > Consts<T>::tanh_big ? Consts<T>::tanh_big : a;
    T e = vexpm1(T(2) * c);
    T t = e / (e + T(2));
    t = a > Consts<T>::tanh_big ? T(1) : t;
    T y = std::copysign(t, x);
    return x != x ? x : y;
}

template <class T> inline T vsigmoid(T x) { return T(1) / (T(1) + vexp(-x)); }

}  // namespace pgk
