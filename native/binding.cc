// facelab's native training kernel (see kernel.h), its N-API face: the functions JavaScript calls
// (src/engine/native-kernel.ts types them), each checking its arguments and naming what is wrong.
#include <node_api.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernel.h"

using namespace facelab;

namespace {

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_type_error(env, "ERR_FACELAB_NATIVE", message.c_str());
  return nullptr;
}

// A typed array of `expected` type: its data and length.
bool TypedArrayArg(napi_env env, napi_value value, napi_typedarray_type expected, void** data,
                   std::size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, value, &type, length, data, nullptr, nullptr) != napi_ok) return false;
  return type == expected;
}

// The arrays of a call: their names, and which are Int32Arrays (the others are Float32Arrays).
struct ArraySpec {
  std::size_t count;
  const char* const* names;
  std::uint32_t int32Mask;  // bit i: array i is an Int32Array
};

bool NumberArg(napi_env env, napi_value value, double* out) {
  return napi_get_value_double(env, value, out) == napi_ok;
}

// Reads a call's arguments: the typed arrays of `spec`, then `count` numbers. Returns what is
// wrong (prefixed with the function's name), or an empty text when nothing is.
std::string ReadArgs(napi_env env, napi_callback_info info, const char* fn, const char* usage, const ArraySpec& spec,
                     void** tensors, std::size_t* lengths, std::size_t count, const char* numbersAre,
                     double* numbers) {
  const std::size_t arrays = spec.count;
  napi_value argv[24];
  std::size_t argc = 24;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != arrays + count) {
    return std::string(fn) + " expects " + std::to_string(arrays + count) + " arguments (" + usage + ")";
  }
  for (std::size_t i = 0; i < arrays; ++i) {
    const bool int32 = (spec.int32Mask >> i) & 1;
    if (!TypedArrayArg(env, argv[i], int32 ? napi_int32_array : napi_float32_array, &tensors[i], &lengths[i])) {
      return std::string(fn) + ": " + spec.names[i] + " must be " + (int32 ? "an Int32Array" : "a Float32Array");
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!NumberArg(env, argv[arrays + i], &numbers[i])) return std::string(fn) + ": " + numbersAre + " must be numbers";
  }
  return "";
}

// stepSize, bc2Sqrt, beta1, beta2, eps from five numbers, and the thread count after them,
// checked, and lowered to what `n` parameters are worth.
std::string ReadAdam(const char* fn, const double* numbers, std::size_t n, AdamScalars* s, unsigned* threads) {
  if (!(numbers[5] >= 1 && numbers[5] <= 256)) return std::string(fn) + ": threads must be 1..256";
  *s = {static_cast<float>(numbers[0]), static_cast<float>(numbers[1]), static_cast<float>(numbers[2]),
        static_cast<float>(numbers[3]), static_cast<float>(numbers[4])};
  *threads = static_cast<unsigned>(numbers[5]);
  if (*threads > n / kMinPerThread) *threads = static_cast<unsigned>(n / kMinPerThread);
  return "";
}

// adamStep(params, m, v, grad, stepSize, bc2Sqrt, beta1, beta2, eps, threads): updates params, m
// and v in place from grad (all Float32Array of one length).
napi_value AdamStepJs(napi_env env, napi_callback_info info) {
  void* data[4];
  std::size_t lengths[4];
  const char* names[4] = {"params", "m", "v", "grad"};
  double numbers[6];
  std::string error = ReadArgs(env, info, "adamStep", "params, m, v, grad, stepSize, bc2Sqrt, beta1, beta2, eps, threads",
                               {4, names, 0}, data, lengths, 6, "scalars", numbers);
  float** tensors = reinterpret_cast<float**>(data);
  for (int i = 1; i < 4 && error.empty(); ++i) {
    if (lengths[i] != lengths[0]) {
      error = std::string("adamStep: ") + names[i] + " has " + std::to_string(lengths[i]) +
              " values but params has " + std::to_string(lengths[0]);
    }
  }
  AdamScalars s;
  unsigned threads = 1;
  if (error.empty()) error = ReadAdam("adamStep", numbers, lengths[0], &s, &threads);
  if (!error.empty()) return Throw(env, error);
  AdamStep(tensors[0], tensors[1], tensors[2], tensors[3], lengths[0], s, threads);
  return nullptr;
}

// gradAdamStep(w1, m, v, dT, x, rows, inputDim, stepSize, bc2Sqrt, beta1, beta2, eps, threads):
// the first layer's weight gradient dT·x (dT [H x rows], x [rows x inputDim]) and its Adam step
// on w1 [H x inputDim], m and v, in place, in one pass.
napi_value GradAdamStepJs(napi_env env, napi_callback_info info) {
  void* data[5];
  std::size_t lengths[5];
  const char* names[5] = {"w1", "m", "v", "dT", "x"};
  double numbers[8];
  const std::string error = ReadArgs(
      env, info, "gradAdamStep", "w1, m, v, dT, x, rows, inputDim, stepSize, bc2Sqrt, beta1, beta2, eps, threads",
      {5, names, 0}, data, lengths, 8, "sizes and scalars", numbers);
  if (!error.empty()) return Throw(env, error);
  float** tensors = reinterpret_cast<float**>(data);
  const double rows = numbers[0], d = numbers[1];
  if (!(rows >= 1 && d >= 1 && rows == std::floor(rows) && d == std::floor(d))) {
    return Throw(env, "gradAdamStep: rows and inputDim must be positive integers");
  }
  const std::size_t B = static_cast<std::size_t>(rows), D = static_cast<std::size_t>(d);
  const std::size_t H = lengths[0] / D;
  if (H * D != lengths[0] || lengths[1] != lengths[0] || lengths[2] != lengths[0] || lengths[3] != H * B ||
      lengths[4] != B * D) {
    return Throw(env, "gradAdamStep: expected w1, m, v of H x " + std::to_string(D) + ", dT of H x " +
                          std::to_string(B) + " and x of " + std::to_string(B) + " x " + std::to_string(D) +
                          " values; received " + std::to_string(lengths[0]) + ", " + std::to_string(lengths[1]) +
                          ", " + std::to_string(lengths[2]) + ", " + std::to_string(lengths[3]) + ", " +
                          std::to_string(lengths[4]));
  }
  AdamScalars s;
  unsigned t = 1;
  const std::string adamError = ReadAdam("gradAdamStep", numbers + 2, lengths[0], &s, &t);
  if (!adamError.empty()) return Throw(env, adamError);
  std::vector<const float*> xRows(B);
  for (std::size_t b = 0; b < B; ++b) xRows[b] = tensors[4] + b * D;
  const GradAdamArgs args{tensors[0], tensors[1], tensors[2], tensors[3], xRows.data(), B, D, s};
  RunSplit(GradAdamRows, &args, H, t, kGradRows);
  return nullptr;
}

bool PositiveInteger(double value) { return value >= 1 && value == std::floor(value) && value < 1e15; }

// trainEpoch(w1, head, mW1, vW1, mHead, vHead, x, labels, order, batch, inputDim, classes, lr,
// beta1, beta2, eps, stepsBefore, threads) -> the epoch's summed loss: one epoch of mini-batch
// training in place (mlp_epoch.cc). x [rows x inputDim] (Float32Array), labels [rows] and order
// [n] (Int32Array: the epoch's training rows, each in [0, n)); head = [b1 | w2 | b2].
napi_value TrainEpochJs(napi_env env, napi_callback_info info) {
  void* data[9];
  std::size_t len[9];
  const char* names[9] = {"w1", "head", "mW1", "vW1", "mHead", "vHead", "x", "labels", "order"};
  double num[9];
  const char* fn = "trainEpoch";
  std::string error = ReadArgs(env, info, fn,
                               "w1, head, mW1, vW1, mHead, vHead, x, labels, order, batch, inputDim, classes, lr, "
                               "beta1, beta2, eps, stepsBefore, threads",
                               {9, names, (1u << 7) | (1u << 8)}, data, len, 9, "sizes and scalars", num);
  if (!error.empty()) return Throw(env, error);
  if (!PositiveInteger(num[0]) || !PositiveInteger(num[1]) || !PositiveInteger(num[2])) {
    return Throw(env, "trainEpoch: batch, inputDim and classes must be positive integers");
  }
  if (!(num[7] >= 0 && num[7] == std::floor(num[7]))) return Throw(env, "trainEpoch: stepsBefore must be an integer >= 0");
  if (!(num[8] >= 1 && num[8] <= 256)) return Throw(env, "trainEpoch: threads must be 1..256");
  const std::size_t B = static_cast<std::size_t>(num[0]), D = static_cast<std::size_t>(num[1]),
                    K = static_cast<std::size_t>(num[2]);
  const std::size_t H = len[0] / D, rows = len[6] / D, N = len[8];
  const std::size_t headLength = H + K * H + K;
  const auto sizes = [&](std::size_t i) { return std::string(names[i]) + " has " + std::to_string(len[i]) + " values"; };
  if (H == 0 || H * D != len[0]) return Throw(env, "trainEpoch: " + sizes(0) + ", not a multiple of inputDim " + std::to_string(D));
  for (std::size_t i : {2u, 3u}) {
    if (len[i] != len[0]) return Throw(env, "trainEpoch: " + sizes(i) + " but w1 has " + std::to_string(len[0]));
  }
  for (std::size_t i : {1u, 4u, 5u}) {
    if (len[i] != headLength) {
      return Throw(env, "trainEpoch: " + sizes(i) + " but a " + std::to_string(H) + "-unit, " + std::to_string(K) +
                            "-class head has " + std::to_string(headLength));
    }
  }
  if (rows * D != len[6] || len[7] != rows) {
    return Throw(env, "trainEpoch: " + sizes(6) + " and " + sizes(7) + "; expected rows x " + std::to_string(D) +
                          " and rows");
  }
  if (N == 0 || N > rows) return Throw(env, "trainEpoch: " + sizes(8) + "; expected 1.." + std::to_string(rows));
  const auto* labels = static_cast<const int32_t*>(data[7]);
  const auto* order = static_cast<const int32_t*>(data[8]);
  for (std::size_t i = 0; i < N; ++i) {
    const int32_t row = order[i];
    if (row < 0 || static_cast<std::size_t>(row) >= N) {
      return Throw(env, "trainEpoch: order[" + std::to_string(i) + "] is " + std::to_string(row) +
                            ", not a training row in [0, " + std::to_string(N) + ")");
    }
    if (labels[row] < 0 || static_cast<std::size_t>(labels[row]) >= K) {
      return Throw(env, "trainEpoch: labels[" + std::to_string(row) + "] is " + std::to_string(labels[row]) +
                            ", not a class in [0, " + std::to_string(K) + ")");
    }
  }
  float** f = reinterpret_cast<float**>(data);
  const EpochArgs args{f[0], f[1], f[2], f[3], f[4], f[5], f[6], labels, order, N, B, D, H, K,
                       num[3], num[4], num[5], num[6], num[7], static_cast<unsigned>(num[8])};
  napi_value out;
  napi_create_double(env, TrainEpoch(args), &out);
  return out;
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
      {"gradAdamStep", nullptr, GradAdamStepJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"trainEpoch", nullptr, TrainEpochJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"build", nullptr, BuildJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
