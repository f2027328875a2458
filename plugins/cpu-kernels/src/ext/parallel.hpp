// The plugin's thread count and the rule for when a loop is worth splitting.
#pragma once

#include <cstdint>

namespace pgk {

// Threads used by every parallel region (set_num_threads; OMP_NUM_THREADS at start).
int num_threads();
void set_num_threads(int n);

// Loops shorter than this many elements run on one thread. Idle threads sleep (passive
// wait policy), so waking one costs tens of microseconds on a quiet machine and up to a
// scheduler time slice on a busy one: only loops of a few hundred microseconds are split.
// (At 1 << 15 the LSTM step ran 1.9x slower on 2 threads of a loaded 2-core machine.)
constexpr int64_t kParallelMin = 1 << 18;

inline int threads_for(int64_t work) { return work >= kParallelMin ? num_threads() : 1; }

}  // namespace pgk
