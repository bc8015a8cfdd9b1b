// NodeEngine with large counts (2^20 + 3 elements, many pipelined slices) on a subset of shapes and
// dtypes, and the stated error bound for half, bfloat16 and float8 sums of arbitrary inputs.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tests/node_engine_harness.h"

namespace ultracc::collectives {
namespace {

using testing::Cluster;
using testing::Shape;
using Bytes = std::vector<char>;

constexpr size_t kLarge = (size_t{1} << 20) + 3;
constexpr size_t kSliceBytes = 256 * 1024;

class NodeEngineLargeTest : public ::testing::TestWithParam<Shape> {};

TEST_P(NodeEngineLargeTest, AllReduceAndReduceScatter) {
  const Shape shape = GetParam();
  Cluster cluster(shape, kSliceBytes);
  const int world = shape.world(), chips = shape.chips;
  struct Case {
    DataType t;
    RedOp op;
    Algorithm algo;
  };
  for (const Case& c : {Case{DataType::kFloat32, RedOp::kSum, Algorithm::kAuto},
                        Case{DataType::kBfloat16, RedOp::kAvg, Algorithm::kHalvingDoubling},
                        Case{DataType::kInt8, RedOp::kProd, Algorithm::kDirect}}) {
    const size_t es = DataTypeSize(c.t);
    SCOPED_TRACE(testing::CaseName("large", shape, c.t, c.op, kLarge, false, c.algo));
    Bytes want(kLarge * es);
    for (size_t e = 0; e < kLarge; ++e) testing::SetReference(c.t, c.op, world, e, want.data(), e);
    std::vector<Bytes> in(world, Bytes(kLarge * es)), out(world, Bytes(kLarge * es));
    for (int g = 0; g < world; ++g) {
      for (size_t e = 0; e < kLarge; ++e) testing::SetInput(c.t, c.op, g, e, in[g].data(), e);
    }
    auto run = [&](bool reduce_scatter) {
      return cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time deadline) {
        std::vector<const void*> ins;
        std::vector<void*> outs;
        for (int g = n * chips; g < (n + 1) * chips; ++g) {
          ins.push_back(in[g].data());
          outs.push_back(reduce_scatter ? in[g].data() + g * (kLarge / world) * es : out[g].data());
        }
        return reduce_scatter
                   ? engine.ReduceScatter(ins, outs, kLarge / world, c.t, c.op, seq, deadline,
                                          c.algo)
                   : engine.AllReduce(ins, outs, kLarge, c.t, c.op, seq, deadline, c.algo);
      });
    };
    for (const absl::Status& s : run(false)) ASSERT_TRUE(s.ok()) << s;
    for (int g = 0; g < world; ++g) {
      ASSERT_TRUE(testing::SameElements(c.t, out[g].data(), want.data(), kLarge)) << "rank " << g;
    }
    // In-place reduce-scatter of world blocks of kLarge / world (odd for world 3 and 4).
    for (const absl::Status& s : run(true)) ASSERT_TRUE(s.ok()) << s;
    const size_t block = kLarge / world;
    for (int g = 0; g < world; ++g) {
      ASSERT_TRUE(testing::SameElements(c.t, in[g].data() + g * block * es,
                                        want.data() + g * block * es, block))
          << "rank " << g;
    }
  }
}

TEST_P(NodeEngineLargeTest, AllGatherAllToAllBroadcast) {
  const Shape shape = GetParam();
  Cluster cluster(shape, kSliceBytes);
  const int world = shape.world(), chips = shape.chips;
  std::vector<Bytes> in(world), out(world, Bytes(world * kLarge));
  for (int g = 0; g < world; ++g) {
    in[g].resize(world * kLarge);
    for (size_t i = 0; i < in[g].size(); ++i)
      in[g][i] = static_cast<char>((g * 131 + i * 7 + (i >> 9)) & 0xff);
  }
  auto spans = [&](int n, bool use_out_as_in) {
    std::pair<std::vector<const void*>, std::vector<void*>> p;
    for (int g = n * chips; g < (n + 1) * chips; ++g) {
      p.first.push_back(use_out_as_in ? out[g].data() : in[g].data());
      p.second.push_back(out[g].data());
    }
    return p;
  };
  for (const absl::Status& s : cluster.Run([&](int n, NodeEngine&e, uint64_t seq, absl::Time d) {
         auto [ins, outs] = spans(n, false);
         return e.AllGather(ins, outs, kLarge, DataType::kUint8, seq, d);
       })) {
    ASSERT_TRUE(s.ok()) << s;
  }
  for (int q = 0; q < world; ++q) {
    for (int r = 0; r < world; ++r) {
      ASSERT_EQ(std::memcmp(out[q].data() + r * kLarge, in[r].data(), kLarge), 0) << q << " " << r;
    }
  }
  for (Algorithm algo : {Algorithm::kPairwise, Algorithm::kDirect}) {
    for (const absl::Status& s : cluster.Run([&](int n, NodeEngine&e, uint64_t seq, absl::Time d) {
           auto [ins, outs] = spans(n, false);
           return e.AllToAll(ins, outs, kLarge, DataType::kInt8, seq, d, algo);
         })) {
      ASSERT_TRUE(s.ok()) << s;
    }
    for (int q = 0; q < world; ++q) {
      for (int r = 0; r < world; ++r) {
        ASSERT_EQ(std::memcmp(out[q].data() + r * kLarge, in[r].data() + q * kLarge, kLarge), 0)
            << AlgorithmName(algo) << " " << q << " " << r;
      }
    }
  }
  const int root = world - 1;
  for (const absl::Status& s : cluster.Run([&](int n, NodeEngine&e, uint64_t seq, absl::Time d) {
         auto [ins, outs] = spans(n, false);
         return e.Broadcast(ins, outs, kLarge / 2, DataType::kFloat16, root, seq, d);
       })) {
    ASSERT_TRUE(s.ok()) << s;
  }
  for (int g = 0; g < world; ++g) {
    ASSERT_EQ(std::memcmp(out[g].data(), in[root].data(), kLarge / 2 * 2), 0) << "rank " << g;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, NodeEngineLargeTest, ::testing::Values(Shape{3, 1}, Shape{2, 2}),
                         testing::ShapeName);

// Arbitrary values in [-1, 1]: the results are not exact, but within SumErrorBound.
class NodeEngineErrorBoundTest : public ::testing::TestWithParam<Shape> {};

TEST_P(NodeEngineErrorBoundTest, LowPrecisionSumsStayWithinTheStatedBound) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  constexpr size_t kCount = 1001;
  std::mt19937 random(42);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (DataType t :
       {DataType::kFloat16, DataType::kBfloat16, DataType::kFloat8e4m3, DataType::kFloat8e5m2}) {
    const size_t es = DataTypeSize(t);
    for (RedOp op : {RedOp::kSum, RedOp::kAvg}) {
      for (Algorithm algo :
           {Algorithm::kRing, Algorithm::kHalvingDoubling, Algorithm::kTree, Algorithm::kDirect}) {
        SCOPED_TRACE(testing::CaseName("bound", shape, t, op, kCount, false, algo));
        std::vector<Bytes> in(world, Bytes(kCount * es)), out(world, Bytes(kCount * es));
        std::vector<double> exact(kCount, 0), magnitude(kCount, 0);
        for (int g = 0; g < world; ++g) {
          for (size_t e = 0; e < kCount; ++e) {
            testing::SetFloat(t, in[g].data(), e, uniform(random));
            const double v = testing::GetFloat(t, in[g].data(), e);
            exact[e] += v;
            magnitude[e] += std::fabs(v);
          }
        }
        for (const absl::Status& s :
             cluster.Run([&](int n, NodeEngine&engine, uint64_t seq, absl::Time deadline) {
               std::vector<const void*> ins;
               std::vector<void*> outs;
               for (int g = n * chips; g < (n + 1) * chips; ++g) {
                 ins.push_back(in[g].data());
                 outs.push_back(out[g].data());
               }
               return engine.AllReduce(ins, outs, kCount, t, op, seq, deadline, algo);
             })) {
          ASSERT_TRUE(s.ok()) << s;
        }
        for (size_t e = 0; e < kCount; ++e) {
          const double want = op == RedOp::kAvg ? exact[e] / world : exact[e];
          const double bound = SumErrorBound(t, op, shape.nodes, chips, magnitude[e]);
          for (int g = 0; g < world; ++g) {
            ASSERT_LE(std::fabs(testing::GetFloat(t, out[g].data(), e) - want), bound)
                << "rank " << g << " element " << e;
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, NodeEngineErrorBoundTest,
                         ::testing::Values(Shape{8, 1}, Shape{4, 2}, Shape{3, 2}, Shape{5, 1}),
                         testing::ShapeName);

}  // namespace
}  // namespace ultracc::collectives
