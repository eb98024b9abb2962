// facelab's native training kernel: what its parts share. fused_adam.cc holds the exact Adam
// step, the helper threads and the first layer's weight gradient fused with its Adam step;
// mlp_epoch.cc a whole epoch of mini-batch training of the one-hidden-layer classifier;
// binding.cc the N-API functions JavaScript calls (src/engine/native-kernel.ts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace facelab {

struct AdamScalars {
  float step_size;  // lr / (1 - beta1^t)
  float bc2_sqrt;   // sqrt(1 - beta2^t)
  float beta1;
  float beta2;
  float eps;
};

// Below this many parameters (or multiply-adds per step) a second thread costs more to wake
// than it saves.
constexpr std::size_t kMinPerThread = 1 << 16;

// Splits [0, n) into `threads` parts whose boundaries are multiples of `align` and runs them,
// the first on the calling thread, the others on helper threads that live as long as the process.
void RunSplit(void (*fn)(const void*, std::size_t, std::size_t), const void* context, std::size_t n,
              unsigned threads, std::size_t align);

// One exact Adam step over n parameters, in place.
void AdamStep(float* p, float* m, float* v, const float* g, std::size_t n, AdamScalars s, unsigned threads);

// One vector register of floats: its width is the machine's (a wider GCC vector type goes through
// the stack; measured at batch 32 on a -march=haswell build here: 19.7 ms per step with 16-float
// vectors, 2.05 ms with 8-float ones in 4 x 3 blocks, 3.09 in 4 x 2).
#if defined(__AVX512F__)
constexpr std::size_t kLanes = 16;
constexpr std::size_t kRegisters = 32;
#elif defined(__AVX__)
constexpr std::size_t kLanes = 8;
constexpr std::size_t kRegisters = 16;
#else
constexpr std::size_t kLanes = 4;
constexpr std::size_t kRegisters = 16;
#endif
typedef float Vec __attribute__((vector_size(4 * kLanes)));
typedef float VecU __attribute__((vector_size(4 * kLanes), aligned(4)));  // unaligned loads/stores

inline Vec Load(const float* at) { return *reinterpret_cast<const VecU*>(at); }

// Keeps a loaded vector in a register: without it GCC folds each use of a vector into its
// multiply-add as a memory operand (one load per use instead of one), and blocked loops that
// reuse a vector from registers become load-bound (measured: 2.07 against 1.27 ms per step).
inline void PinInRegister(Vec& value) {
#if defined(__x86_64__)
  asm("" : "+v"(value));
#elif defined(__aarch64__)
  asm("" : "+w"(value));
#else
  (void)value;
#endif
}

// The first layer's weight gradient dT . x and its Adam step, fused (fused_adam.cc).
struct GradAdamArgs {
  float* w;
  float* m;
  float* v;
  const float* dT;            // [H x rows]
  const float* const* xRows;  // the batch: rows pointers to rows of d floats
  std::size_t rows;           // batch rows
  std::size_t d;              // columns of w1 (input size)
  AdamScalars s;
};

// Rows of w1 per register block of GradAdamRows; split points of threads are multiples of it.
constexpr std::size_t kGradRows = 4;

// Rows [first, last) of w1 (a RunSplit function; context: GradAdamArgs).
void GradAdamRows(const void* context, std::size_t first, std::size_t last);

// One epoch of mini-batch training (mlp_epoch.cc).
struct EpochArgs {
  float* w1;            // [H x D]
  float* head;          // [b1 (H) | w2 (K x H) | b2 (K)]
  float* m_w1;
  float* v_w1;
  float* m_head;
  float* v_head;
  const float* x;       // all rows, [rows x D], the training rows first
  const int32_t* labels;
  const int32_t* order; // the epoch's row order, n training row indices
  std::size_t n;        // training rows
  std::size_t batch;
  std::size_t d;
  std::size_t h;
  std::size_t k;
  double lr, beta1, beta2, eps;
  double first_step;    // Adam steps taken before this epoch
  unsigned threads;
};

// Trains one epoch in place; returns the summed cross-entropy of its rows.
double TrainEpoch(const EpochArgs& a);

}  // namespace facelab
