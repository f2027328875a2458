// Python bindings of the compiled kernels (module plugrad_cpu_kernels._core).
//
// Every function takes C-contiguous float32 or float64 arrays and writes into an output
// array the caller allocated; the Python layer (plugrad_cpu_kernels._kernels) chooses
// when to call them and falls back to the portable path for anything else.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <omp.h>

#include <stdexcept>
#include <string>

#include "elementwise.hpp"
#include "im2col.hpp"
#include "pool.hpp"
#include "softmax.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace pgk {

static int g_threads = 0;

int num_threads() { return g_threads > 0 ? g_threads : omp_get_max_threads(); }

void set_num_threads(int n) {
    if (n < 1) throw std::invalid_argument("set_num_threads: n must be >= 1");
    g_threads = n;
}

}  // namespace pgk

namespace {

template <class T> using Arr = nb::ndarray<T, nb::c_contig, nb::device::cpu>;
template <class T> using In = nb::ndarray<const T, nb::c_contig, nb::device::cpu>;
using Guard = nb::call_guard<nb::gil_scoped_release>;

void same_size(const char* op, size_t a, size_t b) {
    if (a != b)
        throw std::invalid_argument(std::string(op) + ": arrays of " + std::to_string(a) +
                                    " and " + std::to_string(b) + " elements");
}

std::string simd_level() {
#if defined(__AVX512F__)
    return "AVX-512";
#elif defined(__AVX2__) && defined(__FMA__)
    return "AVX2+FMA";
#elif defined(__AVX2__)
    return "AVX2";
#elif defined(__AVX__)
    return "AVX";
#elif defined(__SSE4_2__)
    return "SSE4.2";
#elif defined(__ARM_NEON)
    return "NEON";
#else
    return "baseline";
#endif
}

pgk::Pool2d pool_geometry(const nb::tuple& t) {
    auto v = [&](size_t i) { return nb::cast<int64_t>(t[i]); };
    return {v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8), v(9), v(10),
            static_cast<int>(v(11))};
}

pgk::Conv2d conv_geometry(const nb::tuple& t) {
    auto v = [&](size_t i) { return nb::cast<int64_t>(t[i]); };
    return {v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8), v(9), v(10), v(11), v(12), v(13)};
}

template <class T> void bind_typed(nb::module_& m) {
    m.def(
        "activate",
        [](int act, In<T> x, Arr<T> y, double alpha) {
            same_size("activate", x.size(), y.size());
            pgk::activate<T>(static_cast<pgk::Act>(act), x.data(), y.data(), x.size(), T(alpha));
        },
        "act"_a, "x"_a, "y"_a, "alpha"_a, Guard());
    m.def(
        "activate_grad",
        [](int act, In<T> dy, In<T> x, In<T> y, Arr<T> dx, double alpha) {
            same_size("activate_grad", dy.size(), dx.size());
            same_size("activate_grad", x.size(), dx.size());
            same_size("activate_grad", y.size(), dx.size());
            pgk::activate_grad<T>(static_cast<pgk::Act>(act), dy.data(), x.data(), y.data(),
                                  dx.data(), dx.size(), T(alpha));
        },
        "act"_a, "dy"_a, "x"_a, "y"_a, "dx"_a, "alpha"_a, Guard());
    m.def(
        "bias_grad",
        [](In<T> g, Arr<T> out, int64_t lead, int64_t c, int64_t inner) {
            same_size("bias_grad", g.size(), size_t(lead * c * inner));
            same_size("bias_grad", out.size(), size_t(c));
            pgk::bias_grad<T>(g.data(), out.data(), lead, c, inner);
        },
        Guard());
    m.def(
        "softmax_rows",
        [](In<T> x, Arr<T> y, int64_t rows, int64_t c, bool log) {
            same_size("softmax_rows", x.size(), size_t(rows * c));
            same_size("softmax_rows", y.size(), size_t(rows * c));
            pgk::softmax_rows<T>(x.data(), y.data(), rows, c, log);
        },
        Guard());
    m.def(
        "softmax_rows_grad",
        [](In<T> dy, In<T> y, Arr<T> dx, int64_t rows, int64_t c, bool log) {
            same_size("softmax_rows_grad", dy.size(), size_t(rows * c));
            same_size("softmax_rows_grad", y.size(), size_t(rows * c));
            same_size("softmax_rows_grad", dx.size(), size_t(rows * c));
            pgk::softmax_rows_grad<T>(dy.data(), y.data(), dx.data(), rows, c, log);
        },
        Guard());
    m.def(
        "nll_rows",
        [](In<T> s, In<int64_t> picks, In<uint8_t> keep, Arr<T> e, Arr<T> total, Arr<T> losses) {
            const int64_t rows = picks.size(), c = rows ? s.size() / rows : 0;
            same_size("nll_rows", s.size(), size_t(rows * c));
            same_size("nll_rows", e.size(), s.size());
            same_size("nll_rows", keep.size(), picks.size());
            same_size("nll_rows", total.size(), picks.size());
            same_size("nll_rows", losses.size(), picks.size());
            pgk::nll_rows<T>(s.data(), picks.data(), keep.data(), e.data(), total.data(),
                             losses.data(), rows, c);
        },
        Guard());
    m.def(
        "nll_rows_grad",
        [](In<T> e, In<T> total, In<int64_t> picks, In<T> weight, Arr<T> p) {
            const int64_t rows = picks.size(), c = rows ? e.size() / rows : 0;
            same_size("nll_rows_grad", e.size(), size_t(rows * c));
            same_size("nll_rows_grad", p.size(), e.size());
            same_size("nll_rows_grad", total.size(), picks.size());
            same_size("nll_rows_grad", weight.size(), picks.size());
            pgk::nll_rows_grad<T>(e.data(), total.data(), picks.data(), weight.data(), p.data(),
                                  rows, c);
        },
        Guard());
    m.def("pool2d_forward", [](nb::tuple geometry, In<T> x, Arr<T> y, nb::object arg) {
        pgk::Pool2d g = pool_geometry(geometry);
        same_size("pool2d_forward", x.size(), size_t(g.planes * g.h * g.w));
        same_size("pool2d_forward", y.size(), size_t(g.planes * g.oh * g.ow));
        int32_t* where = nullptr;
        if (!arg.is_none()) {
            auto a = nb::cast<Arr<int32_t>>(arg);
            same_size("pool2d_forward", a.size(), y.size());
            where = a.data();
        }
        nb::gil_scoped_release release;
        pgk::pool2d_forward<T>(g, x.data(), y.data(), where);
    }, "geometry"_a, "x"_a, "y"_a, "arg"_a.none());
    m.def("pool2d_backward", [](nb::tuple geometry, In<T> dy, nb::object arg, Arr<T> dx) {
        pgk::Pool2d g = pool_geometry(geometry);
        same_size("pool2d_backward", dx.size(), size_t(g.planes * g.h * g.w));
        same_size("pool2d_backward", dy.size(), size_t(g.planes * g.oh * g.ow));
        const int32_t* where = nullptr;
        if (g.mode == 0 || g.mode == 3) {
            auto a = nb::cast<In<int32_t>>(arg);
            same_size("pool2d_backward", a.size(), dy.size());
            where = a.data();
        }
        nb::gil_scoped_release release;
        pgk::pool2d_backward<T>(g, dy.data(), where, dx.data());
    }, "geometry"_a, "dy"_a, "arg"_a.none(), "dx"_a);
    m.def("im2col2d", [](nb::tuple geometry, In<T> x, Arr<T> cols, bool per_instance) {
        pgk::Conv2d g = conv_geometry(geometry);
        same_size("im2col2d", x.size(), size_t(g.n * g.c * g.h * g.w));
        same_size("im2col2d", cols.size(), size_t(g.c * g.kh * g.kw * g.n * g.oh * g.ow));
        nb::gil_scoped_release release;
        pgk::im2col2d<T>(g, x.data(), cols.data(), per_instance);
    });
    m.def("col2im2d", [](nb::tuple geometry, In<T> cols, Arr<T> dx, bool per_instance) {
        pgk::Conv2d g = conv_geometry(geometry);
        same_size("col2im2d", dx.size(), size_t(g.n * g.c * g.h * g.w));
        same_size("col2im2d", cols.size(), size_t(g.c * g.kh * g.kw * g.n * g.oh * g.ow));
        nb::gil_scoped_release release;
        pgk::col2im2d<T>(g, cols.data(), dx.data(), per_instance);
    });
    m.def(
        "swap_leading",
        [](In<T> x, Arr<T> y, int64_t a, int64_t b, int64_t l) {
            same_size("swap_leading", x.size(), size_t(a * b * l));
            same_size("swap_leading", y.size(), x.size());
            pgk::swap_leading<T>(x.data(), y.data(), a, b, l);
        },
        Guard());
}

}  // namespace

NB_MODULE(_core, m) {
    m.doc() = "plugrad's compiled CPU kernels (float32 and float64, OpenMP threads).";
    bind_typed<float>(m);
    bind_typed<double>(m);
    m.def("num_threads", &pgk::num_threads);
    m.def("set_num_threads", &pgk::set_num_threads, "n"_a);
    m.def("simd_level", &simd_level);
    m.def("openmp_version", []() { return _OPENMP; });
}
