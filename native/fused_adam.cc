// facelab's native training kernel: one exact Adam step (PyTorch's torch.optim.Adam, no weight
// decay, no amsgrad) over a parameter tensor, in ONE pass that reads the gradient and updates
// parameters and both moments in place.
//
// Why hand-written: ONNX Runtime's inference build has no fused optimizer kernel, and the same
// step written as ONNX operators is ~9 full-size passes over each tensor (adam-update.ts); at
// batch 32 those passes cost about 3x the step's matrix products (issue 14's profile). One pass
// in C++ compiled for the machine (-O3 -march=native -fno-math-errno: sqrt and division
// vectorise, no approximations) runs at memory speed.
//
// Built at install by node-gyp (binding.gyp); src/engine/native-kernel.ts loads it and falls
// back to the ORT-only trainer when it is missing.
#include <node_api.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

namespace {

struct AdamScalars {
  float step_size;    // lr / (1 - beta1^t)
  float bc2_sqrt;     // sqrt(1 - beta2^t)
  float beta1;
  float beta2;
  float eps;
};

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

// Below this many parameters a second thread costs more to wake than it saves.
constexpr std::size_t kMinPerThread = 1 << 16;

// Helper threads that live as long as the process: starting a thread per step cost more than
// the second core saved (measured: 0.63 ms vs 0.57 ms on one thread for 921,600 parameters).
// Each helper sleeps on a futex (std::atomic::wait) between steps, so it never competes with
// ONNX Runtime's own threads for the cores while the matrix products run.
class HelperPool {
 public:
  struct Job {
    float* p;
    float* m;
    float* v;
    const float* g;
    std::size_t begin;
    std::size_t end;
    AdamScalars s;
  };

  // Runs jobs[1..] on helpers and jobs[0] on the calling thread; returns when all are done.
  void Run(std::vector<Job>& jobs) {
    std::lock_guard<std::mutex> caller(run_mutex_);  // one step at a time per process
    while (workers_.size() + 1 < jobs.size()) workers_.emplace_back(new Worker(this));
    pending_.store(static_cast<int>(jobs.size()) - 1, std::memory_order_relaxed);
    for (std::size_t i = 1; i < jobs.size(); ++i) workers_[i - 1]->Start(jobs[i]);
    const Job& own = jobs[0];
    AdamRange(own.p, own.m, own.v, own.g, own.begin, own.end, own.s);
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
        AdamRange(job.p, job.m, job.v, job.g, job.begin, job.end, job.s);
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

void AdamStep(float* p, float* m, float* v, const float* g, std::size_t n, AdamScalars s,
              unsigned threads) {
  if (threads > n / kMinPerThread) threads = static_cast<unsigned>(n / kMinPerThread);
  if (threads <= 1) {
    AdamRange(p, m, v, g, 0, n, s);
    return;
  }
  // Chunk boundaries on 64-byte lines so two threads never write the same cache line.
  const std::size_t chunk = ((n + threads - 1) / threads + 15) & ~static_cast<std::size_t>(15);
  std::vector<HelperPool::Job> jobs;
  for (std::size_t begin = 0; begin < n; begin += chunk) {
    jobs.push_back({p, m, v, g, begin, begin + chunk < n ? begin + chunk : n, s});
  }
  Pool().Run(jobs);
}

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_type_error(env, "ERR_FACELAB_NATIVE", message.c_str());
  return nullptr;
}

bool Float32ArrayArg(napi_env env, napi_value value, float** data, std::size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* raw = nullptr;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(raw);
  return true;
}

bool NumberArg(napi_env env, napi_value value, double* out) {
  return napi_get_value_double(env, value, out) == napi_ok;
}

// adamStep(params, m, v, grad, stepSize, bc2Sqrt, beta1, beta2, eps, threads): updates params, m
// and v in place from grad (all Float32Array of one length).
napi_value AdamStepJs(napi_env env, napi_callback_info info) {
  std::size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 10) {
    return Throw(env, "adamStep expects 10 arguments (params, m, v, grad, stepSize, bc2Sqrt, beta1, beta2, eps, threads)");
  }
  float* tensors[4];
  std::size_t lengths[4];
  const char* names[4] = {"params", "m", "v", "grad"};
  for (int i = 0; i < 4; ++i) {
    if (!Float32ArrayArg(env, argv[i], &tensors[i], &lengths[i])) {
      return Throw(env, std::string("adamStep: ") + names[i] + " must be a Float32Array");
    }
    if (lengths[i] != lengths[0]) {
      return Throw(env, std::string("adamStep: ") + names[i] + " has " + std::to_string(lengths[i]) +
                            " values but params has " + std::to_string(lengths[0]));
    }
  }
  double numbers[6];
  for (int i = 0; i < 6; ++i) {
    if (!NumberArg(env, argv[4 + i], &numbers[i])) return Throw(env, "adamStep: scalars must be numbers");
  }
  if (!(numbers[5] >= 1 && numbers[5] <= 256)) return Throw(env, "adamStep: threads must be 1..256");
  const AdamScalars s{static_cast<float>(numbers[0]), static_cast<float>(numbers[1]),
                      static_cast<float>(numbers[2]), static_cast<float>(numbers[3]),
                      static_cast<float>(numbers[4])};
  AdamStep(tensors[0], tensors[1], tensors[2], tensors[3], lengths[0], s,
           static_cast<unsigned>(numbers[5]));
  return nullptr;
}

// build(): how this binary was compiled, for benchmarks and `facelab --version`-style reports.
napi_value BuildJs(napi_env env, napi_callback_info) {
  std::string text = std::string("g++ ") + __VERSION__;
#if defined(__AVX512F__)
  text += ", AVX-512";
#elif defined(__AVX2__)
  text += ", AVX2";
#elif defined(__ARM_NEON)
  text += ", NEON";
#endif
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"adamStep", nullptr, AdamStepJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"build", nullptr, BuildJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
