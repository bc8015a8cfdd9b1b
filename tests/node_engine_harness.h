// Test harness for NodeEngine: a cluster of nodes as threads over the in-process fabric, element
// access for every dtype, input values chosen so that every reduction order gives the same exact
// result, and the reference result of each reduction computed straightforwardly.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collectives/datatype.h"
#include "collectives/low_precision.h"
#include "collectives/node_engine.h"
#include "gtest/gtest.h"
#include "transport/inproc/inproc_fabric.h"

namespace ultracc::collectives::testing {

struct Shape {
  int nodes = 1;
  int chips = 1;
  int world() const { return nodes * chips; }
};
inline std::string ShapeName(const ::testing::TestParamInfo<Shape>& info) {
  return absl::StrFormat("%dx%d", info.param.nodes, info.param.chips);
}

// World sizes {1, 2, 3, 4, 5, 8} with 1, 2 and 3 chips per node, and more than one node with C > 1.
inline std::vector<Shape> MatrixShapes() {
  return {{1, 1}, {2, 1}, {1, 2}, {3, 1}, {1, 3}, {4, 1},
          {2, 2}, {5, 1}, {8, 1}, {4, 2}, {2, 3}, {3, 2}};
}

inline constexpr DataType kAllTypes[] = {
    DataType::kInt8,    DataType::kUint8,    DataType::kInt32,      DataType::kUint32,
    DataType::kInt64,   DataType::kUint64,   DataType::kFloat16,    DataType::kFloat32,
    DataType::kFloat64, DataType::kBfloat16, DataType::kFloat8e4m3, DataType::kFloat8e5m2};
inline constexpr RedOp kAllOps[] = {RedOp::kSum, RedOp::kProd, RedOp::kMax, RedOp::kMin,
                                    RedOp::kAvg};

// One long-lived thread per node: creating threads for every collective cost more than the small
// collectives of the matrices themselves.
class NodeThreads {
 public:
  explicit NodeThreads(int nodes) {
    for (int n = 0; n < nodes; ++n) threads_.emplace_back([this, n] { Loop(n); });
  }
  ~NodeThreads() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }
  NodeThreads(const NodeThreads&) = delete;
  NodeThreads& operator=(const NodeThreads&) = delete;

  // Runs body(n) on thread n for every n and returns their statuses. A body still running after
  // `wait` is a hung collective: the test fails and the process ends rather than hang.
  std::vector<absl::Status> RunOnEach(const std::function<absl::Status(int)>& body,
                                      absl::Duration wait) {
    absl::MutexLock lock(&mu_);
    body_ = &body;
    statuses_.assign(threads_.size(), absl::OkStatus());
    finished_ = 0;
    ++round_;
    auto all_finished = [this] { return finished_ == threads_.size(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&all_finished), wait)) {
      ADD_FAILURE() << "a node did not finish within " << wait;
      std::abort();
    }
    body_ = nullptr;
    return statuses_;
  }

 private:
  void Loop(int n) {
    uint64_t seen = 0;
    while (true) {
      absl::MutexLock lock(&mu_);
      auto work = [this, &seen] { return stopping_ || round_ != seen; };
      mu_.Await(absl::Condition(&work));
      if (stopping_) return;
      seen = round_;
      const std::function<absl::Status(int)>* body = body_;
      mu_.Unlock();
      absl::Status status = (*body)(n);
      mu_.Lock();
      statuses_[n] = std::move(status);
      ++finished_;
    }
  }

  absl::Mutex mu_;
  bool stopping_ = false;
  uint64_t round_ = 0;
  const std::function<absl::Status(int)>* body_ = nullptr;
  std::vector<absl::Status> statuses_;
  size_t finished_ = 0;
  std::vector<std::thread> threads_;  // last: they start using the members above at once
};

// One thread per node, each driving its own engine over a shared fabric. Engines split large
// local passes over `local_threads` threads, as in a daemon.
class Cluster {
 public:
  explicit Cluster(Shape shape, size_t slice_bytes = 4096, int local_threads = 3)
      : shape_(shape), fabric_(shape.nodes), threads_(shape.nodes) {
    for (int n = 0; n < shape.nodes; ++n) {
      engines_.push_back(
          std::make_unique<NodeEngine>(NodeEngineOptions{.node_rank = n,
                                                         .num_nodes = shape.nodes,
                                                         .total_ranks = shape.world(),
                                                         .transport = fabric_.member(n),
                                                         .slice_bytes = slice_bytes,
                                                         .local_threads = local_threads}));
    }
  }

  // Runs body(node, engine, op_seq, deadline) on every node at once; all must finish in time.
  std::vector<absl::Status> Run(
      const std::function<absl::Status(int, NodeEngine&, uint64_t, absl::Time)>& body,
      absl::Duration deadline = absl::Seconds(60)) {
    const uint64_t op_seq = ++op_seq_;
    const absl::Time until = absl::Now() + deadline;
    return threads_.RunOnEach([&](int n) { return body(n, *engines_[n], op_seq, until); },
                              deadline + absl::Seconds(90));
  }

  const Shape& shape() const { return shape_; }

 private:
  Shape shape_;
  transport::inproc::InProcFabric fabric_;
  std::vector<std::unique_ptr<NodeEngine>> engines_;
  uint64_t op_seq_ = 0;
  NodeThreads threads_;
};

inline bool IsSigned(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt32 || t == DataType::kInt64;
}

// Integers as 64-bit patterns, sign-extended from their width; floats as doubles.
inline uint64_t GetInt(DataType t, const void* base, size_t i) {
  const char* p = static_cast<const char*>(base) + i * DataTypeSize(t);
  switch (t) {
    case DataType::kInt8:
      return static_cast<uint64_t>(static_cast<int64_t>(*reinterpret_cast<const int8_t*>(p)));
    case DataType::kUint8:
      return *reinterpret_cast<const uint8_t*>(p);
    case DataType::kInt32:
      return static_cast<uint64_t>(static_cast<int64_t>(*reinterpret_cast<const int32_t*>(p)));
    case DataType::kUint32:
      return *reinterpret_cast<const uint32_t*>(p);
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}
inline uint64_t NormalizeInt(DataType t, uint64_t v) {
  const size_t bits = DataTypeSize(t) * 8;
  if (bits == 64) return v;
  v &= (uint64_t{1} << bits) - 1;
  if (IsSigned(t) && (v >> (bits - 1)) != 0) v |= ~uint64_t{0} << bits;
  return v;
}
inline void SetInt(DataType t, void* base, size_t i, uint64_t v) {
  std::memcpy(static_cast<char*>(base) + i * DataTypeSize(t), &v, DataTypeSize(t));  // little end
}

inline double GetFloat(DataType t, const void* base, size_t i) {
  const char* p = static_cast<const char*>(base) + i * DataTypeSize(t);
  uint16_t h;
  switch (t) {
    case DataType::kFloat16:
      std::memcpy(&h, p, 2);
      return Float16ToFloat32(h);
    case DataType::kBfloat16:
      std::memcpy(&h, p, 2);
      return Bfloat16ToFloat32(h);
    case DataType::kFloat8e4m3:
      return Float8e4m3ToFloat32(static_cast<uint8_t>(*p));
    case DataType::kFloat8e5m2:
      return Float8e5m2ToFloat32(static_cast<uint8_t>(*p));
    case DataType::kFloat32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    default: {
      double d;
      std::memcpy(&d, p, 8);
      return d;
    }
  }
}
// Narrow types and float32 round the value to float32 first, then to the type.
inline void SetFloat(DataType t, void* base, size_t i, double v) {
  char* p = static_cast<char*>(base) + i * DataTypeSize(t);
  const float f = static_cast<float>(v);
  uint16_t h;
  switch (t) {
    case DataType::kFloat16:
      h = Float32ToFloat16(f);
      std::memcpy(p, &h, 2);
      return;
    case DataType::kBfloat16:
      h = Float32ToBfloat16(f);
      std::memcpy(p, &h, 2);
      return;
    case DataType::kFloat8e4m3:
      *p = static_cast<char>(Float32ToFloat8e4m3(f));
      return;
    case DataType::kFloat8e5m2:
      *p = static_cast<char>(Float32ToFloat8e5m2(f));
      return;
    case DataType::kFloat32:
      std::memcpy(p, &f, 4);
      return;
    default:
      std::memcpy(p, &v, 8);
      return;
  }
}

// The input value of global rank g at element e: small integers (or, for floating Prod, +-2^k)
// so that every partial result of any reduction order is exact in the type; integers large
// enough to wrap on Sum and Prod.
inline void SetInput(DataType t, RedOp op, int g, size_t e, void* base, size_t i) {
  const uint64_t h = static_cast<uint64_t>(g) * 7919 + e * 104729 + 13;
  if (!IsFloatingPoint(t)) {
    uint64_t v = op == RedOp::kProd ? 1 + h % 3 : h % 251;
    if (IsSigned(t) && op != RedOp::kProd) v -= 100;
    SetInt(t, base, i, v);
    return;
  }
  const bool fp8 = t == DataType::kFloat8e4m3 || t == DataType::kFloat8e5m2;
  static constexpr double kFactors[] = {1, 2, -1, 0.5};
  double v;
  switch (op) {
    case RedOp::kProd:
      v = kFactors[h % 4];
      break;
    case RedOp::kSum:
    case RedOp::kAvg:
      v = fp8 ? static_cast<double>(h % 2) : static_cast<double>(h % 9) - 4;
      break;
    default:
      v = static_cast<double>(h % 11) - 5;
      break;
  }
  SetFloat(t, base, i, v);
}

// Writes into `out` element i the reduction over g in [0, world) of SetInput(t, op, g, e).
inline void SetReference(DataType t, RedOp op, int world, size_t e, void* out, size_t i) {
  std::vector<char> one(8);
  if (!IsFloatingPoint(t)) {
    uint64_t acc = 0;
    for (int g = 0; g < world; ++g) {
      SetInput(t, op, g, e, one.data(), 0);
      const uint64_t v = GetInt(t, one.data(), 0);
      if (g == 0) {
        acc = v;
        continue;
      }
      switch (op) {
        case RedOp::kProd:
          acc = NormalizeInt(t, acc * v);
          break;
        case RedOp::kMax:
          acc = IsSigned(t) ? (static_cast<int64_t>(v) > static_cast<int64_t>(acc) ? v : acc)
                            : std::max(acc, v);
          break;
        case RedOp::kMin:
          acc = IsSigned(t) ? (static_cast<int64_t>(v) < static_cast<int64_t>(acc) ? v : acc)
                            : std::min(acc, v);
          break;
        default:
          acc = NormalizeInt(t, acc + v);
          break;
      }
    }
    if (op == RedOp::kAvg) {
      acc = IsSigned(t) ? static_cast<uint64_t>(static_cast<int64_t>(acc) / world) : acc / world;
    }
    SetInt(t, out, i, acc);
    return;
  }
  double acc = 0;
  for (int g = 0; g < world; ++g) {
    SetInput(t, op, g, e, one.data(), 0);
    const double v = GetFloat(t, one.data(), 0);
    if (g == 0) {
      acc = v;
      continue;
    }
    switch (op) {
      case RedOp::kProd:
        acc *= v;
        break;
      case RedOp::kMax:
        acc = std::max(acc, v);
        break;
      case RedOp::kMin:
        acc = std::min(acc, v);
        break;
      default:
        acc += v;
        break;
    }
  }
  if (op == RedOp::kAvg) {
    // The engine divides once in the compute type: float32 for narrow types and float32.
    acc = t == DataType::kFloat64
              ? acc / world
              : static_cast<double>(static_cast<float>(acc) / static_cast<float>(world));
  }
  SetFloat(t, out, i, acc);
}

// Element-wise comparison of `count` elements; reports the first mismatch.
inline ::testing::AssertionResult SameElements(DataType t, const void* got, const void* want,
                                               size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const bool same = IsFloatingPoint(t) ? GetFloat(t, got, i) == GetFloat(t, want, i)
                                         : NormalizeInt(t, GetInt(t, got, i)) ==
                                               NormalizeInt(t, GetInt(t, want, i));
    if (!same) {
      return ::testing::AssertionFailure()
             << "element " << i << " of " << count << ": got "
             << (IsFloatingPoint(t) ? absl::StrCat(GetFloat(t, got, i))
                                    : absl::StrCat(static_cast<int64_t>(GetInt(t, got, i))))
             << ", want "
             << (IsFloatingPoint(t) ? absl::StrCat(GetFloat(t, want, i))
                                    : absl::StrCat(static_cast<int64_t>(GetInt(t, want, i))));
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::string CaseName(absl::string_view what, Shape shape, DataType t, RedOp op, size_t count,
                            bool in_place, Algorithm algorithm) {
  return absl::StrFormat("%s %dx%d %s %s count %d %s algo %s", what, shape.nodes, shape.chips,
                         DataTypeName(t), RedOpName(op), count,
                         in_place ? "in-place" : "out-of-place", AlgorithmName(algorithm));
}

}  // namespace ultracc::collectives::testing
