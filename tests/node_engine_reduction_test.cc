// NodeEngine all-reduce, reduce-scatter and reduce against a straightforward reference: every
// shape x dtype x op x count x {in-place, out-of-place} x algorithm (plus one forced algorithm
// that does not apply, which must fall back without changing results). Inputs are chosen so that
// every result is exact (see node_engine_harness.h).
#include <cstddef>
#include <vector>

#include "gtest/gtest.h"
#include "tests/node_engine_harness.h"

namespace ultracc::collectives {
namespace {

using testing::CaseName;
using testing::Cluster;
using testing::SameElements;
using testing::Shape;

constexpr size_t kCounts[] = {0, 1, 7, 1000};
using Bytes = std::vector<char>;

class NodeEngineReductionTest : public ::testing::TestWithParam<Shape> {};

TEST_P(NodeEngineReductionTest, AllReduce) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  for (Algorithm algo : {Algorithm::kAuto, Algorithm::kRing, Algorithm::kHalvingDoubling,
                         Algorithm::kTree, Algorithm::kDirect, Algorithm::kPairwise}) {
    for (DataType t : testing::kAllTypes) {
      const size_t es = DataTypeSize(t);
      for (RedOp op : testing::kAllOps) {
        for (size_t count : kCounts) {
          Bytes want(count * es);
          for (size_t e = 0; e < count; ++e) testing::SetReference(t, op, world, e, want.data(), e);
          for (bool in_place : {false, true}) {
            SCOPED_TRACE(CaseName("all-reduce", shape, t, op, count, in_place, algo));
            std::vector<Bytes> in(world, Bytes(count * es)), out(world, Bytes(count * es, 'x'));
            for (int g = 0; g < world; ++g) {
              for (size_t e = 0; e < count; ++e) testing::SetInput(t, op, g, e, in[g].data(), e);
              if (in_place) out[g] = in[g];
            }
            const auto statuses =
                cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time deadline) {
                  std::vector<const void*> ins;
                  std::vector<void*> outs;
                  for (int g = n * chips; g < (n + 1) * chips; ++g) {
                    ins.push_back(in_place ? out[g].data() : in[g].data());
                    outs.push_back(out[g].data());
                  }
                  return engine.AllReduce(ins, outs, count, t, op, seq, deadline, algo);
                });
            for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
            for (int g = 0; g < world; ++g) {
              ASSERT_TRUE(SameElements(t, out[g].data(), want.data(), count)) << "rank " << g;
            }
          }
        }
      }
    }
  }
}

TEST_P(NodeEngineReductionTest, ReduceScatter) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  for (Algorithm algo : {Algorithm::kAuto, Algorithm::kRing, Algorithm::kHalvingDoubling,
                         Algorithm::kDirect, Algorithm::kTree}) {
    for (DataType t : testing::kAllTypes) {
      const size_t es = DataTypeSize(t);
      for (RedOp op : testing::kAllOps) {
        for (size_t count : kCounts) {
          const size_t total = world * count;
          Bytes want(total * es);
          for (size_t e = 0; e < total; ++e) testing::SetReference(t, op, world, e, want.data(), e);
          for (bool in_place : {false, true}) {
            SCOPED_TRACE(CaseName("reduce-scatter", shape, t, op, count, in_place, algo));
            std::vector<Bytes> in(world, Bytes(total * es)), out(world, Bytes(count * es, 'x'));
            for (int g = 0; g < world; ++g) {
              for (size_t e = 0; e < total; ++e) testing::SetInput(t, op, g, e, in[g].data(), e);
            }
            // In place: the output is the rank's own block of its input (NCCL's rule).
            auto output_of = [&](int g) {
              return in_place ? in[g].data() + g * count * es : out[g].data();
            };
            const auto statuses =
                cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time deadline) {
                  std::vector<const void*> ins;
                  std::vector<void*> outs;
                  for (int g = n * chips; g < (n + 1) * chips; ++g) {
                    ins.push_back(in[g].data());
                    outs.push_back(output_of(g));
                  }
                  return engine.ReduceScatter(ins, outs, count, t, op, seq, deadline, algo);
                });
            for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
            for (int g = 0; g < world; ++g) {
              ASSERT_TRUE(SameElements(t, output_of(g), want.data() + g * count * es, count))
                  << "rank " << g;
            }
          }
        }
      }
    }
  }
}

TEST_P(NodeEngineReductionTest, Reduce) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  for (Algorithm algo : {Algorithm::kAuto, Algorithm::kTree, Algorithm::kRing}) {
    for (DataType t : testing::kAllTypes) {
      const size_t es = DataTypeSize(t);
      for (RedOp op : testing::kAllOps) {
        for (size_t count : kCounts) {
          Bytes want(count * es);
          for (size_t e = 0; e < count; ++e) testing::SetReference(t, op, world, e, want.data(), e);
          for (bool in_place : {false, true}) {
            // Roots at both ends and in the middle of the world.
            for (int root : {0, world / 2, world - 1}) {
              SCOPED_TRACE(CaseName("reduce", shape, t, op, count, in_place, algo) + " root " +
                           std::to_string(root));
              std::vector<Bytes> in(world, Bytes(count * es)), out(world, Bytes(count * es, 'x'));
              for (int g = 0; g < world; ++g) {
                for (size_t e = 0; e < count; ++e) testing::SetInput(t, op, g, e, in[g].data(), e);
                if (in_place) out[g] = in[g];
              }
              const auto statuses =
                  cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time deadline) {
                    std::vector<const void*> ins;
                    std::vector<void*> outs;
                    for (int g = n * chips; g < (n + 1) * chips; ++g) {
                      ins.push_back(in_place ? out[g].data() : in[g].data());
                      // Only the root's output is written; the others may be null.
                      outs.push_back(g == root || in_place ? out[g].data() : nullptr);
                    }
                    return engine.Reduce(ins, outs, count, t, op, root, seq, deadline, algo);
                  });
              for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
              ASSERT_TRUE(SameElements(t, out[root].data(), want.data(), count));
              if (!in_place) {
                for (int g = 0; g < world; ++g) {
                  if (g != root) {
                    ASSERT_EQ(out[g], Bytes(count * es, 'x')) << "rank " << g;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, NodeEngineReductionTest,
                         ::testing::ValuesIn(testing::MatrixShapes()), testing::ShapeName);

}  // namespace
}  // namespace ultracc::collectives
