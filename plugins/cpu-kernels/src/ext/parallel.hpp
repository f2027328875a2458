// The plugin's thread count and the rule for when a loop is worth splitting.
#pragma once

#include <cstdint>

namespace pgk {

// Threads used by every parallel region (set_num_threads; OMP_NUM_THREADS at start).
int num_threads();
void set_num_threads(int n);

// Loops shorter than this many elements run on one thread: waking a second costs more.
constexpr int64_t kParallelMin = 1 << 15;

inline int threads_for(int64_t work) { return work >= kParallelMin ? num_threads() : 1; }

}  // namespace pgk
