// One collective at one size, as the benchmark runs it: the element counts nccl-tests uses for
// each collective (size = the whole n-rank array for reduce-scatter, all-gather and all-to-all),
// the call itself out of place and in place, the deterministic inputs and the check.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tools/bench/element_values.h"
#include "ultracc.h"

namespace ultracc::bench {

struct CaseParams {
  std::string collective;  // canonical name (bench_options.h)
  const TypeInfo* type = nullptr;
  ultraccRedOp_t op = ultraccSum;
  int root = 0;
  int rank = 0;
  int nranks = 1;
};

class CollectiveCase {
 public:
  // `bytes` is the sweep's size; counts round down to whole elements (and whole per-rank blocks),
  // with at least one element per rank.
  CollectiveCase(const CaseParams& params, size_t bytes);

  size_t size_bytes() const { return size_bytes_; }                   // the table's size column
  size_t count() const { return size_bytes_ / params_.type->bytes; }  // its count column
  // Bytes the algorithm rule of collectives/algorithm.h sees (a member's whole buffer).
  size_t rule_bytes() const { return rule_bytes_; }
  double bus_factor() const { return bus_factor_; }
  bool has_in_place() const;
  // Elements each of the two buffers must hold.
  size_t send_elements() const { return send_elements_; }
  size_t recv_elements() const { return recv_elements_; }

  // Writes this rank's inputs (and poisons the output) for one placement.
  void Prepare(void* send, void* recv, bool in_place) const;
  // Issues the collective once (NULL stream: blocking).
  ultraccResult_t Run(const void* send, void* recv, bool in_place, ultraccComm_t comm,
                      ultraccStream_t stream) const;
  // Elements of this rank's output that differ from the reference.
  long CountWrong(const void* recv, bool in_place) const;

  // Bytes of a buffer large enough for `max_bytes` sweeps of every collective with `type`.
  static size_t BufferBytes(size_t max_bytes, const TypeInfo& type, int nranks);

 private:
  double Input(int rank, size_t index) const;
  size_t AllToAllvCount(int from, int to) const;
  size_t AllToAllvDispl(int from, int to) const;  // offset of `to`'s block in `from`'s sendbuff

  CaseParams params_;
  size_t block_ = 0;  // elements: per rank (rs, ag, a2a, a2av base) or the whole message
  size_t size_bytes_ = 0;
  size_t rule_bytes_ = 0;
  size_t send_elements_ = 0;
  size_t recv_elements_ = 0;
  double bus_factor_ = 1;
  std::vector<size_t> send_counts_, send_displs_, recv_counts_, recv_displs_;  // all-to-allv
};

}  // namespace ultracc::bench
