// facelab's native training kernel (see kernel.h), its trainer: one epoch of mini-batch training
// of the one-hidden-layer classifier (Linear -> ReLU -> Linear, softmax cross-entropy, Adam) in
// one call. Each step: the first layer's forward pass (ForwardRows, register-blocked), the
// small head and loss in plain loops, then the fused first-layer gradient + Adam pass
// (GradAdamRows) and Adam on the head.
//
// Why not ONNX Runtime for the forward pass and the small gradients, as before: one ORT run per
// mini-batch cost ~0.2-0.3 ms beyond its matrix product (operator dispatch, the asynchronous call
// and its promise, tensor wrappers), and with two threads ORT's forward ran no faster than on
// one (its pool's wake-up); measured per step at batch 32, 300 x 3072 weights: ORT 0.87 ms on
// two threads, 1.17 on one. The numerics are those of the ONNX graph (mlp-graph-parts.ts) in
// float32: ReLU, log-softmax with the row maximum subtracted, the error (softmax - one-hot) / rows.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel.h"

namespace facelab {
namespace {

// ---- Forward: hT[i][r] = relu(w1[i] . x_r + b1[i]), hidden units x batch rows ------------
//
// Dot-product form: R rows of w1 x C batch rows per block, each pair's products summed in one
// vector register over the columns, then across its lanes. Per column vector the block loads R
// vectors of w1 and C of x for R x C multiply-adds.

struct ForwardArgs {
  const float* w1;
  const float* b1;
  const float* const* xRows;
  std::size_t rows;
  std::size_t d;
  float* hT;  // [H x rows]
};

constexpr std::size_t kForwardRows = 4;
// Batch rows per block: 4 x kForwardCols accumulators + the loaded vectors fit the registers.
constexpr std::size_t kForwardCols = kRegisters == 32 ? 6 : 2;

inline float LaneSum(Vec v) {
  float s = 0;
  for (std::size_t k = 0; k < kLanes; ++k) s += v[k];
  return s;
}

template <std::size_t R, std::size_t C>
__attribute__((always_inline)) inline void ForwardBlock(const ForwardArgs& a, std::size_t i, std::size_t r0) {
  const std::size_t D = a.d, vectorEnd = D / kLanes * kLanes;
  const float* w[R];
  for (std::size_t r = 0; r < R; ++r) w[r] = a.w1 + (i + r) * D;
  const float* x[C];
  for (std::size_t c = 0; c < C; ++c) x[c] = a.xRows[r0 + c];
  Vec acc[R][C] = {};
  for (std::size_t j = 0; j < vectorEnd; j += kLanes) {
    Vec xv[C];
    for (std::size_t c = 0; c < C; ++c) {
      xv[c] = Load(x[c] + j);
      PinInRegister(xv[c]);
    }
    for (std::size_t r = 0; r < R; ++r) {
      Vec wv = Load(w[r] + j);
      PinInRegister(wv);
      for (std::size_t c = 0; c < C; ++c) acc[r][c] += wv * xv[c];
    }
  }
  for (std::size_t r = 0; r < R; ++r) {
    for (std::size_t c = 0; c < C; ++c) {
      float s = LaneSum(acc[r][c]);
      for (std::size_t j = vectorEnd; j < D; ++j) s += w[r][j] * x[c][j];
      s += a.b1[i + r];
      a.hT[(i + r) * a.rows + r0 + c] = s > 0 ? s : 0;
    }
  }
}

// The `left` (< kForwardCols) batch rows from r0, in one block of that many.
template <std::size_t R, std::size_t C>
inline void ForwardTail(const ForwardArgs& a, std::size_t i, std::size_t r0, std::size_t left) {
  if constexpr (C > 0) {
    if (left == C) ForwardBlock<R, C>(a, i, r0);
    else ForwardTail<R, C - 1>(a, i, r0, left);
  }
}

// Hidden rows [i, i + R) for every batch row: full blocks of kForwardCols, then the rest.
template <std::size_t R>
void ForwardStrip(const ForwardArgs& a, std::size_t i) {
  std::size_t r0 = 0;
  for (; r0 + kForwardCols <= a.rows; r0 += kForwardCols) ForwardBlock<R, kForwardCols>(a, i, r0);
  ForwardTail<R, kForwardCols - 1>(a, i, r0, a.rows - r0);
}

void ForwardRows(const void* context, std::size_t first, std::size_t last) {
  const auto& a = *static_cast<const ForwardArgs*>(context);
  std::size_t i = first;
  for (; i + kForwardRows <= last; i += kForwardRows) ForwardStrip<kForwardRows>(a, i);
  for (; i < last; ++i) ForwardStrip<1>(a, i);
}

// ---- The head: logits, loss, and every gradient but w1's ----------------------------------
//
// K (classes) is small: loops over the batch rows, in vectors where they sum (GCC vectorises no
// float sum by itself: it may not reorder one; a scalar sum chain measured ~0.4 ms per step at
// batch 128, 300 hidden units). Logits and the output error are kept transposed, [K x rows].

// sum over r of a[r] * b[r], in vectors then across lanes, then the tail.
inline float Dot(const float* a, const float* b, std::size_t n) {
  Vec acc = {};
  std::size_t r = 0;
  for (; r + kLanes <= n; r += kLanes) acc += Load(a + r) * Load(b + r);
  float s = LaneSum(acc);
  for (; r < n; ++r) s += a[r] * b[r];
  return s;
}

// Writes the error at the hidden units' inputs dT [H x rows] and the head's gradient
// [b1 | w2 | b2]; returns the batch's summed cross-entropy. logitsT: scratch, [K x rows].
float HeadStep(const float* head, const float* hT, const int32_t* y, std::size_t rows, std::size_t H,
               std::size_t K, float* logitsT, float* dT, float* gradHead) {
  const float* w2 = head + H;
  const float* b2 = head + H + K * H;
  for (std::size_t k = 0; k < K; ++k) {
    float* l = logitsT + k * rows;
    for (std::size_t r = 0; r < rows; ++r) l[r] = 0;
    for (std::size_t h = 0; h < H; ++h) {
      const float wkh = w2[k * H + h];
      const float* hRow = hT + h * rows;
      for (std::size_t r = 0; r < rows; ++r) l[r] += wkh * hRow[r];
    }
    for (std::size_t r = 0; r < rows; ++r) l[r] += b2[k];
  }
  // Log-softmax per row, the loss, and the error (softmax - one-hot) / rows, in place.
  const float scale = 1.0f / static_cast<float>(rows);
  float loss = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    float top = logitsT[r];
    for (std::size_t k = 1; k < K; ++k) top = std::max(top, logitsT[k * rows + r]);
    float sum = 0;
    for (std::size_t k = 0; k < K; ++k) sum += std::exp(logitsT[k * rows + r] - top);
    const float logSum = std::log(sum);
    for (std::size_t k = 0; k < K; ++k) {
      float& l = logitsT[k * rows + r];
      const float logProb = l - top - logSum;
      const float oneHot = static_cast<std::size_t>(y[r]) == k ? 1.0f : 0.0f;
      if (oneHot != 0) loss -= logProb;
      l = (std::exp(logProb) - oneHot) * scale;
    }
  }
  const float* errorT = logitsT;
  float* gradB1 = gradHead;
  float* gradW2 = gradHead + H;
  float* gradB2 = gradHead + H + K * H;
  std::vector<float> ones(rows, 1.0f);
  for (std::size_t k = 0; k < K; ++k) gradB2[k] = Dot(errorT + k * rows, ones.data(), rows);
  for (std::size_t h = 0; h < H; ++h) {
    const float* hRow = hT + h * rows;
    float* dRow = dT + h * rows;
    for (std::size_t k = 0; k < K; ++k) gradW2[k * H + h] = Dot(errorT + k * rows, hRow, rows);
    for (std::size_t r = 0; r < rows; ++r) dRow[r] = 0;
    for (std::size_t k = 0; k < K; ++k) {
      const float wkh = w2[k * H + h];
      const float* e = errorT + k * rows;
      for (std::size_t r = 0; r < rows; ++r) dRow[r] += wkh * e[r];
    }
    for (std::size_t r = 0; r < rows; ++r) dRow[r] = hRow[r] > 0 ? dRow[r] : 0;
    gradB1[h] = Dot(dRow, ones.data(), rows);
  }
  return loss;
}

// Threads worth using for `work` multiply-adds split over `rows` rows (see kMinPerThread).
unsigned ThreadsFor(unsigned threads, std::size_t work) {
  const std::size_t most = work / kMinPerThread;
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, most)));
}

}  // namespace

double TrainEpoch(const EpochArgs& a) {
  const std::size_t N = a.n, D = a.d, H = a.h, K = a.k, headLength = H + K * H + K;
  std::vector<const float*> xRows(a.batch);
  std::vector<float> hT(H * a.batch), dT(H * a.batch), logits(a.batch * K), gradHead(headLength);
  std::vector<int32_t> y(a.batch);
  double loss = 0;
  double step = a.first_step;
  for (std::size_t start = 0; start < N; start += a.batch) {
    const std::size_t rows = std::min(a.batch, N - start);
    for (std::size_t r = 0; r < rows; ++r) {
      const int32_t row = a.order[start + r];
      xRows[r] = a.x + static_cast<std::size_t>(row) * D;
      y[r] = a.labels[row];
    }
    const unsigned threads = ThreadsFor(a.threads, H * D * rows);
    const ForwardArgs forward{a.w1, a.head, xRows.data(), rows, D, hT.data()};
    RunSplit(ForwardRows, &forward, H, threads, kForwardRows);
    loss += HeadStep(a.head, hT.data(), y.data(), rows, H, K, logits.data(), dT.data(), gradHead.data());
    step += 1;
    // PyTorch's per-step scalars, in float64 as Python computes them.
    const AdamScalars s{static_cast<float>(a.lr / (1 - std::pow(a.beta1, step))),
                        static_cast<float>(std::sqrt(1 - std::pow(a.beta2, step))), static_cast<float>(a.beta1),
                        static_cast<float>(a.beta2), static_cast<float>(a.eps)};
    const GradAdamArgs grad{a.w1, a.m_w1, a.v_w1, dT.data(), xRows.data(), rows, D, s};
    RunSplit(GradAdamRows, &grad, H, threads, kGradRows);
    AdamStep(a.head, a.m_head, a.v_head, gradHead.data(), headLength, s, 1);
  }
  return loss;
}

}  // namespace facelab
