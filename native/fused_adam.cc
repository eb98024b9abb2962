// facelab's native training kernel (see kernel.h), its optimizer: one exact Adam step (PyTorch's
// torch.optim.Adam, no weight decay, no amsgrad) over a parameter tensor, in ONE pass that reads
// the gradient and updates parameters and both moments in place (AdamStep); the same step for
// the first layer with its weight gradient computed in the pass, never stored (GradAdamRows);
// and the helper threads both split their work over (RunSplit).
//
// Why hand-written: ONNX Runtime's inference build has no fused optimizer kernel, and the same
// step written as ONNX operators is ~9 full-size passes over each tensor (adam-update.ts); at
// batch 32 those passes cost about 3x the step's matrix products (issue 14's profile). One pass
// in C++ compiled for the machine (-O3 -march=native -fno-math-errno: sqrt and division
// vectorise, no approximations) runs at memory speed.
//
// Built at install by node-gyp (binding.gyp); src/engine/native-kernel.ts loads it and falls
// back to the ORT-only trainer when it is missing.
#include "kernel.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

namespace facelab {
namespace {

// The step over [begin, end). Written as PyTorch's _single_tensor_adam computes it in float32:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= step_size * m / (sqrt(v) / bc2_sqrt + eps)
void AdamRange(float* __restrict p, float* __restrict m, float* __restrict v,
               const float* __restrict g, std::size_t begin, std::size_t end, AdamScalars s) {
  const float one_minus_b1 = 1.0f - s.beta1;
  const float one_minus_b2 = 1.0f - s.beta2;
  for (std::size_t i = begin; i < end; ++i) {
    const float gi = g[i];
    const float mi = s.beta1 * m[i] + one_minus_b1 * gi;
    const float vi = s.beta2 * v[i] + one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    p[i] -= s.step_size * (mi / denom);
  }
}

// A range of work [begin, end) and the function that does it.
struct Job {
  void (*fn)(const void* context, std::size_t begin, std::size_t end);
  const void* context;
  std::size_t begin;
  std::size_t end;
};

// Helper threads that live as long as the process: starting a thread per step cost more than
// the second core saved (measured: 0.63 ms vs 0.57 ms on one thread for 921,600 parameters).
// Each helper sleeps on a futex (std::atomic::wait) between steps, so it never competes with
// ONNX Runtime's own threads for the cores while the matrix products run.
class HelperPool {
 public:
  // Runs jobs[1..] on helpers and jobs[0] on the calling thread; returns when all are done.
  void Run(const std::vector<Job>& jobs) {
    std::lock_guard<std::mutex> caller(run_mutex_);  // one step at a time per process
    while (workers_.size() + 1 < jobs.size()) workers_.emplace_back(new Worker(this));
    pending_.store(static_cast<int>(jobs.size()) - 1, std::memory_order_relaxed);
    for (std::size_t i = 1; i < jobs.size(); ++i) workers_[i - 1]->Start(jobs[i]);
    jobs[0].fn(jobs[0].context, jobs[0].begin, jobs[0].end);
    int left;
    while ((left = pending_.load(std::memory_order_acquire)) != 0) pending_.wait(left, std::memory_order_acquire);
  }

 private:
  struct Worker {
    explicit Worker(HelperPool* pool) : thread([this, pool] { Loop(pool); }) { thread.detach(); }
    void Start(const Job& next) {
      job = next;
      generation.fetch_add(1, std::memory_order_release);
      generation.notify_one();
    }
    void Loop(HelperPool* pool) {
      unsigned seen = 0;
      for (;;) {
        generation.wait(seen, std::memory_order_acquire);
        seen = generation.load(std::memory_order_acquire);
        job.fn(job.context, job.begin, job.end);
        if (pool->pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pool->pending_.notify_one();
      }
    }
    Job job{};
    std::atomic<unsigned> generation{0};
    std::thread thread;
  };

  std::mutex run_mutex_;
  std::vector<Worker*> workers_;  // never freed: helpers live until the process exits
  std::atomic<int> pending_{0};
};

HelperPool& Pool() {
  static HelperPool* pool = new HelperPool();  // leaked on purpose: helpers may outlive statics
  return *pool;
}

}  // namespace

// Splits [0, n) into `threads` parts whose boundaries are multiples of `align`, and runs them.
void RunSplit(void (*fn)(const void*, std::size_t, std::size_t), const void* context, std::size_t n,
              unsigned threads, std::size_t align) {
  if (threads <= 1) {
    fn(context, 0, n);
    return;
  }
  const std::size_t chunk = ((n + threads - 1) / threads + align - 1) / align * align;
  std::vector<Job> jobs;
  for (std::size_t begin = 0; begin < n; begin += chunk) {
    jobs.push_back({fn, context, begin, begin + chunk < n ? begin + chunk : n});
  }
  Pool().Run(jobs);
}

namespace {
struct AdamArgs {
  float* p;
  float* m;
  float* v;
  const float* g;
  AdamScalars s;
};

}  // namespace

void AdamStep(float* p, float* m, float* v, const float* g, std::size_t n, AdamScalars s,
              unsigned threads) {
  const AdamArgs args{p, m, v, g, s};
  // Chunk boundaries on 64-byte lines so two threads never write the same cache line.
  RunSplit(
      [](const void* c, std::size_t begin, std::size_t end) {
        const auto* a = static_cast<const AdamArgs*>(c);
        AdamRange(a->p, a->m, a->v, a->g, begin, end, a->s);
      },
      &args, n, threads, 16);
}

namespace {

// ---- The first layer's weight gradient fused with its Adam step --------------------------
//
// gradient[i][j] = sum over the batch rows b of dT[i][b] * x[b][j] (dT: the loss's gradient at
// the hidden units' inputs, [H x rows]; x: the batch, [rows x D]), then Adam on w1[i][j] with it,
// in one pass: the gradient is never written to memory. Why: ONNX Runtime returns a [H x D]
// output through a JavaScript copy (measured ~0.7 ms per step for 300 x 3072, more than the
// product itself), and the Adam pass would read it back.
//
// Register blocking: kRows rows of w1 x kVecs vectors of columns per block, accumulated over the
// batch in registers (GCC vector extensions, as wide as the machine's registers); with AVX-512
// each b loads 6 vectors of x and broadcasts 4 errors for 24 multiply-adds. The x vectors are
// pinned in registers (PinInRegister). Measured for 300 x 3072 weights on one thread (step incl. Adam, min of 100):
//   4 x 64 blocks, folded loads: 2.07 / 3.57 / 6.47 ms at batch 32 / 64 / 128
//   4 x 64, pinned: 1.27 / 2.05 / 3.62;  6 x 64: 1.18 / 1.95 / 3.30;  4 x 96: 1.04 / 1.73 / 3.03
// (wider blocks also give the Adam part longer contiguous runs of w1, m and v). The batch sum
// runs b = 0, 1, ... in float32 (MLAS sums in another order: results agree to rounding).

constexpr std::size_t kRows = kGradRows;
// Column vectors per block: 4 x kVecs accumulators, kVecs x vectors and a broadcast fit the registers.
constexpr std::size_t kVecs = kRegisters == 32 ? 6 : 3;

inline void AdamOne(float* p, float* m, float* v, float g, const AdamScalars& s) {
  const float mi = s.beta1 * *m + (1.0f - s.beta1) * g;
  const float vi = s.beta2 * *v + (1.0f - s.beta2) * g * g;
  *m = mi;
  *v = vi;
  *p -= s.step_size * (mi / (std::sqrt(vi) / s.bc2_sqrt + s.eps));
}

inline void AdamVec(float* p, float* m, float* v, Vec g, const AdamScalars& s) {
  const Vec mi = s.beta1 * *reinterpret_cast<VecU*>(m) + (1.0f - s.beta1) * g;
  const Vec vi = s.beta2 * *reinterpret_cast<VecU*>(v) + (1.0f - s.beta2) * g * g;
  *reinterpret_cast<VecU*>(m) = mi;
  *reinterpret_cast<VecU*>(v) = vi;
  Vec root;
  for (std::size_t k = 0; k < kLanes; ++k) root[k] = std::sqrt(vi[k]);
  *reinterpret_cast<VecU*>(p) -= s.step_size * (mi / (root / s.bc2_sqrt + s.eps));
}

// Rows [i, i + R) x columns [j, j + kLanes C) of w1: the block's gradient, then its Adam step.
template <std::size_t R, std::size_t C>
__attribute__((always_inline)) inline void GradAdamBlock(const GradAdamArgs& a, std::size_t i, std::size_t j) {
  const std::size_t B = a.rows, D = a.d;
  const float* d0 = a.dT + i * B;
  Vec acc[R][C] = {};
  for (std::size_t b = 0; b < B; ++b) {
    const float* xb = a.xRows[b] + j;
    Vec xv[C];
    for (std::size_t c = 0; c < C; ++c) {
      xv[c] = Load(xb + kLanes * c);
      PinInRegister(xv[c]);
    }
    for (std::size_t r = 0; r < R; ++r) {
      const float d = d0[r * B + b];
      for (std::size_t c = 0; c < C; ++c) acc[r][c] += d * xv[c];
    }
  }
  for (std::size_t r = 0; r < R; ++r) {
    const std::size_t at = (i + r) * D + j;
    for (std::size_t c = 0; c < C; ++c) {
      AdamVec(a.w + at + kLanes * c, a.m + at + kLanes * c, a.v + at + kLanes * c, acc[r][c], a.s);
    }
  }
}

// Columns of x per tile: the tile (rows x kTile floats, 48-192 KB) stays in L2 while every
// block of w1's rows passes over it, instead of all of x (0.4-1.5 MB) streaming from L3 for
// each block (measured: 18-24 GFLOP/s untiled, before the blocks above).
constexpr std::size_t kTile = 4 * kLanes * kVecs;

// Rows [i, i + R) over columns [j0, j1): full blocks, then single vectors, then single floats.
template <std::size_t R>
void GradAdamStrip(const GradAdamArgs& a, std::size_t i, std::size_t j0, std::size_t j1) {
  std::size_t j = j0;
  for (; j + kLanes * kVecs <= j1; j += kLanes * kVecs) GradAdamBlock<R, kVecs>(a, i, j);
  for (; j + kLanes <= j1; j += kLanes) GradAdamBlock<R, 1>(a, i, j);
  for (std::size_t r = i; r < i + R; ++r) {
    for (std::size_t jj = j; jj < j1; ++jj) {
      float g = 0;
      for (std::size_t b = 0; b < a.rows; ++b) g += a.dT[r * a.rows + b] * a.xRows[b][jj];
      const std::size_t at = r * a.d + jj;
      AdamOne(a.w + at, a.m + at, a.v + at, g, a.s);
    }
  }
}

}  // namespace

// Rows [first, last) of w1, tile by tile; the rows left over from blocks of kRows in smaller blocks.
void GradAdamRows(const void* context, std::size_t first, std::size_t last) {
  const auto& a = *static_cast<const GradAdamArgs*>(context);
  const std::size_t blockedEnd = first + (last - first) / kRows * kRows;
  for (std::size_t j0 = 0; j0 < a.d; j0 += kTile) {
    const std::size_t j1 = j0 + kTile < a.d ? j0 + kTile : a.d;
    for (std::size_t i = first; i < blockedEnd; i += kRows) GradAdamStrip<kRows>(a, i, j0, j1);
    switch (last - blockedEnd) {
      case 3: GradAdamStrip<3>(a, blockedEnd, j0, j1); break;
      case 2: GradAdamStrip<2>(a, blockedEnd, j0, j1); break;
      case 1: GradAdamStrip<1>(a, blockedEnd, j0, j1); break;
      default: break;
    }
  }
}

}  // namespace facelab
