// NodeEngine all-gather, broadcast, all-to-all and all-to-allv: every shape x dtype x count x
// {in-place, out-of-place} x algorithm (plus one that does not apply and must fall back). Data are
// arbitrary byte patterns, unique per rank and position, compared byte for byte; out of place, the
// bytes a collective must not write are checked to be untouched.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "tests/node_engine_harness.h"

namespace ultracc::collectives {
namespace {

using testing::Cluster;
using testing::Shape;

constexpr size_t kCounts[] = {0, 1, 7, 1000};
using Bytes = std::vector<char>;

// Bytes of rank g's data, distinct for every (g, position).
Bytes Pattern(int g, size_t bytes) {
  Bytes data(bytes);
  for (size_t i = 0; i < bytes; ++i) {
    const uint32_t h =
        (static_cast<uint32_t>(g) + 1) * 2654435761u ^ static_cast<uint32_t>(i * 40503u + (i >> 8));
    data[i] = static_cast<char>(h >> 13);
  }
  return data;
}

std::string Case(absl::string_view what, Shape shape, DataType t, size_t count, bool in_place,
                 Algorithm algo) {
  return testing::CaseName(what, shape, t, RedOp::kSum, count, in_place, algo);
}

class NodeEngineMovementTest : public ::testing::TestWithParam<Shape> {};

TEST_P(NodeEngineMovementTest, AllGather) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  for (Algorithm algo : {Algorithm::kAuto, Algorithm::kRing, Algorithm::kHalvingDoubling,
                         Algorithm::kDirect, Algorithm::kBruck}) {
    for (DataType t : testing::kAllTypes) {
      for (size_t count : kCounts) {
        const size_t block = count * DataTypeSize(t);
        for (bool in_place : {false, true}) {
          SCOPED_TRACE(Case("all-gather", shape, t, count, in_place, algo));
          std::vector<Bytes> in(world), out(world, Bytes(world * block, 'x'));
          Bytes want;
          for (int g = 0; g < world; ++g) {
            in[g] = Pattern(g, block);
            want.insert(want.end(), in[g].begin(), in[g].end());
            if (in_place && block > 0) std::memcpy(out[g].data() + g * block, in[g].data(), block);
          }
          const auto statuses =
              cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time deadline) {
                std::vector<const void*> ins;
                std::vector<void*> outs;
                for (int g = n * chips; g < (n + 1) * chips; ++g) {
                  ins.push_back(in_place ? out[g].data() + g * block : in[g].data());
                  outs.push_back(out[g].data());
                }
                return engine.AllGather(ins, outs, count, t, seq, deadline, algo);
              });
          for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
          for (int g = 0; g < world; ++g) ASSERT_EQ(out[g], want) << "rank " << g;
        }
      }
    }
  }
}

TEST_P(NodeEngineMovementTest, Broadcast) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  for (Algorithm algo :
       {Algorithm::kAuto, Algorithm::kTree, Algorithm::kDirect, Algorithm::kRing}) {
    for (DataType t : testing::kAllTypes) {
      for (size_t count : kCounts) {
        const size_t bytes = count * DataTypeSize(t);
        for (bool in_place : {false, true}) {
          for (int root : {0, world / 2, world - 1}) {
            SCOPED_TRACE(Case("broadcast", shape, t, count, in_place, algo) + " root " +
                         std::to_string(root));
            const Bytes want = Pattern(root, bytes);
            std::vector<Bytes> out(world, Bytes(bytes, 'x'));
            if (in_place) out[root] = want;
            const auto statuses =
                cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time deadline) {
                  std::vector<const void*> ins;
                  std::vector<void*> outs;
                  for (int g = n * chips; g < (n + 1) * chips; ++g) {
                    // Only the root's input is read; the others pass null out of place.
                    ins.push_back(in_place ? out[g].data() : g == root ? want.data() : nullptr);
                    outs.push_back(out[g].data());
                  }
                  return engine.Broadcast(ins, outs, count, t, root, seq, deadline, algo);
                });
            for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
            for (int g = 0; g < world; ++g) ASSERT_EQ(out[g], want) << "rank " << g;
          }
        }
      }
    }
  }
}

TEST_P(NodeEngineMovementTest, AllToAll) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  for (Algorithm algo : {Algorithm::kAuto, Algorithm::kPairwise, Algorithm::kBruck,
                         Algorithm::kDirect, Algorithm::kHalvingDoubling}) {
    for (DataType t : testing::kAllTypes) {
      for (size_t count : kCounts) {
        const size_t block = count * DataTypeSize(t);
        for (bool in_place : {false, true}) {
          SCOPED_TRACE(Case("all-to-all", shape, t, count, in_place, algo));
          std::vector<Bytes> in(world), out(world, Bytes(world * block, 'x'));
          for (int g = 0; g < world; ++g) {
            in[g] = Pattern(g, world * block);
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
                return engine.AllToAll(ins, outs, count, t, seq, deadline, algo);
              });
          for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
          for (int q = 0; q < world; ++q) {
            Bytes want;
            for (int r = 0; r < world; ++r) {
              want.insert(want.end(), in[r].begin() + q * block, in[r].begin() + (q + 1) * block);
            }
            ASSERT_EQ(out[q], want) << "rank " << q;
          }
        }
      }
    }
  }
}

// Rank r sends cnt(r, q) elements to q (zeros included); blocks sit in reverse peer order with
// gaps, so displacements matter.
struct VariableLayout {
  std::vector<std::vector<size_t>> send_counts, send_displs, recv_counts, recv_displs;
  std::vector<size_t> send_extent, recv_extent;
};

VariableLayout MakeLayout(int world, size_t count) {
  auto cnt = [&](int r, int q) {
    return count == 0 ? size_t{0} : ((r + 2 * q) % 3) * count / 2 + (r * q) % 2;
  };
  VariableLayout l;
  for (int r = 0; r < world; ++r) {
    std::vector<size_t> sc(world), sd(world), rc(world), rd(world);
    size_t send_at = 1, recv_at = 2;
    for (int q = world - 1; q >= 0; --q) {
      sc[q] = cnt(r, q);
      sd[q] = send_at;
      send_at += sc[q] + 1;
      rc[q] = cnt(q, r);
      rd[q] = recv_at;
      recv_at += rc[q] + 2;
    }
    l.send_counts.push_back(sc);
    l.send_displs.push_back(sd);
    l.recv_counts.push_back(rc);
    l.recv_displs.push_back(rd);
    l.send_extent.push_back(send_at);
    l.recv_extent.push_back(recv_at);
  }
  return l;
}

TEST_P(NodeEngineMovementTest, AllToAllv) {
  const Shape shape = GetParam();
  Cluster cluster(shape);
  const int world = shape.world(), chips = shape.chips;
  for (Algorithm algo :
       {Algorithm::kAuto, Algorithm::kPairwise, Algorithm::kDirect, Algorithm::kBruck}) {
    for (DataType t : testing::kAllTypes) {
      const size_t es = DataTypeSize(t);
      for (size_t count : kCounts) {
        const VariableLayout l = MakeLayout(world, count);
        for (bool in_place : {false, true}) {
          SCOPED_TRACE(Case("all-to-allv", shape, t, count, in_place, algo));
          std::vector<Bytes> in(world), out(world), want(world);
          for (int g = 0; g < world; ++g) {
            const size_t extent = std::max(l.send_extent[g], l.recv_extent[g]) * es;
            in[g] = Pattern(g, in_place ? extent : l.send_extent[g] * es);
            out[g] = in_place ? in[g] : Bytes(l.recv_extent[g] * es, 'x');
          }
          for (int q = 0; q < world; ++q) {
            want[q] = out[q];
            for (int r = 0; r < world; ++r) {
              std::memcpy(want[q].data() + l.recv_displs[q][r] * es,
                          in[r].data() + l.send_displs[r][q] * es, l.recv_counts[q][r] * es);
            }
          }
          const auto statuses =
              cluster.Run([&](int n, NodeEngine& engine, uint64_t seq, absl::Time deadline) {
                std::vector<const void*> ins;
                std::vector<void*> outs;
                std::vector<const size_t*> sc, sd, rc, rd;
                for (int g = n * chips; g < (n + 1) * chips; ++g) {
                  ins.push_back(in_place ? out[g].data() : in[g].data());
                  outs.push_back(out[g].data());
                  sc.push_back(l.send_counts[g].data());
                  sd.push_back(l.send_displs[g].data());
                  rc.push_back(l.recv_counts[g].data());
                  rd.push_back(l.recv_displs[g].data());
                }
                return engine.AllToAllv(ins, sc, sd, outs, rc, rd, t, seq, deadline, algo);
              });
          for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
          for (int q = 0; q < world; ++q) ASSERT_EQ(out[q], want[q]) << "rank " << q;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, NodeEngineMovementTest,
                         ::testing::ValuesIn(testing::MatrixShapes()), testing::ShapeName);

}  // namespace
}  // namespace ultracc::collectives
