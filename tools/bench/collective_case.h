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

  const std::string& collective() const { return params_.collective; }
  const TypeInfo& type() const { return *params_.type; }
  ultraccRedOp_t op() const { return params_.op; }
  int root() const { return params_.root; }
  size_t size_bytes() const { return size_bytes_; }                   // the table's size column
  size_t count() const { return size_bytes_ / params_.type->bytes; }  // its count column
  // Bytes the algorithm rule of collectives/algorithm.h sees (a member's whole buffer).
  size_t rule_bytes() const { return rule_bytes_; }
  double bus_factor() const { return bus_factor_; }
  bool has_in_place() const;
  // Elements each of the two buffers must hold.
  size_t send_elements() const { return send_elements_; }
  size_t recv_elements() const { return recv_elements_; }

  // The count argument of the call: per rank for reduce-scatter, all-gather and all-to-all.
  size_t call_count() const { return block_; }
  // The input and output pointers the call passes for this rank's buffers (in place, both lie in
  // recv as NCCL's rules place them).
  void CallBuffers(void* send, void* recv, bool in_place, const void** in, void** out) const;
  // All-to-allv's arrays of this rank, one entry per rank.
  const std::vector<size_t>& send_counts() const { return send_counts_; }
  const std::vector<size_t>& send_displs() const { return send_displs_; }
  const std::vector<size_t>& recv_counts() const { return recv_counts_; }
  const std::vector<size_t>& recv_displs() const { return recv_displs_; }
  // send_recv and permute: the rank this one sends to and the one it receives from; -1 for both
  // when it has no partner and sits the exchange out.
  int send_peer() const;
  int recv_peer() const;

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
