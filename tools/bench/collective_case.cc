// The benchmark's collectives: counts, calls and checks; see collective_case.h.
#include "tools/bench/collective_case.h"

#include <algorithm>

#include "tools/bench/bench_options.h"

namespace ultracc::bench {

CollectiveCase::CollectiveCase(const CaseParams& params, size_t bytes) : params_(params) {
  const std::string& c = params_.collective;
  const size_t ts = params_.type->bytes;
  const size_t n = static_cast<size_t>(params_.nranks);
  const double nd = static_cast<double>(n);
  if (c == "reduce_scatter" || c == "all_gather" || c == "all_to_all" || c == "all_to_allv") {
    block_ = std::max<size_t>(1, bytes / ts / n);
    bus_factor_ = (nd - 1) / nd;
  } else {
    block_ = std::max<size_t>(1, bytes / ts);
    bus_factor_ = c == "all_reduce" ? 2 * (nd - 1) / nd : 1.0;
  }
  if (c == "reduce_scatter") {
    send_elements_ = block_ * n;
    recv_elements_ = block_ * n;  // in place, the output block lies inside the input
  } else if (c == "all_gather") {
    send_elements_ = block_;
    recv_elements_ = block_ * n;
  } else if (c == "all_to_all") {
    send_elements_ = recv_elements_ = block_ * n;
  } else if (c == "all_to_allv") {
    for (int peer = 0; peer < params_.nranks; ++peer) {
      send_counts_.push_back(AllToAllvCount(params_.rank, peer));
      send_displs_.push_back(AllToAllvDispl(params_.rank, peer));
      recv_counts_.push_back(AllToAllvCount(peer, params_.rank));
      recv_displs_.push_back(peer == 0 ? 0 : recv_displs_.back() + recv_counts_[peer - 1]);
    }
    send_elements_ = send_displs_.back() + send_counts_.back();
    recv_elements_ = recv_displs_.back() + recv_counts_.back();
  } else {
    send_elements_ = recv_elements_ = block_;
  }
  size_bytes_ = std::max(send_elements_, recv_elements_) * ts;
  rule_bytes_ = size_bytes_;
}

bool CollectiveCase::has_in_place() const {
  const std::string& c = params_.collective;
  return c == "all_reduce" || c == "reduce_scatter" || c == "all_gather" || c == "broadcast" ||
         c == "reduce";
}

size_t CollectiveCase::BufferBytes(size_t max_bytes, const TypeInfo& type, int nranks) {
  return 2 * max_bytes + 4 * static_cast<size_t>(nranks) * type.bytes + 64;
}

// Rank `from` sends between 2/(n+1) and 2n/(n+1) blocks to each peer, varying with the pair, so
// per-pair counts differ while every rank sends and receives the same total.
size_t CollectiveCase::AllToAllvCount(int from, int to) const {
  const size_t n = static_cast<size_t>(params_.nranks);
  return block_ * (1 + static_cast<size_t>(from + to) % n) * 2 / (n + 1);
}

size_t CollectiveCase::AllToAllvDispl(int from, int to) const {
  size_t displ = 0;
  for (int peer = 0; peer < to; ++peer) displ += AllToAllvCount(from, peer);
  return displ;
}

double CollectiveCase::Input(int rank, size_t index) const {
  const ultraccRedOp_t op = HasRedOp(params_.collective) ? params_.op : ultraccSum;
  return InputValue(rank, index, params_.nranks, op, *params_.type);
}

void CollectiveCase::Prepare(void* send, void* recv, bool in_place) const {
  const TypeInfo& t = *params_.type;
  const std::string& c = params_.collective;
  Poison(recv, recv_elements_, t);
  if (!in_place) {
    for (size_t i = 0; i < send_elements_; ++i) StoreElement(send, i, t, Input(params_.rank, i));
    return;
  }
  const size_t offset = c == "all_gather" ? static_cast<size_t>(params_.rank) * block_ : 0;
  for (size_t i = 0; i < send_elements_; ++i) {
    StoreElement(recv, offset + i, t, Input(params_.rank, i));
  }
}

void CollectiveCase::CallBuffers(void* send, void* recv, bool in_place, const void** in,
                                 void** out) const {
  const std::string& c = params_.collective;
  char* const block = static_cast<char*>(recv) +
                      static_cast<size_t>(params_.rank) * block_ * params_.type->bytes;
  *in = in_place ? recv : send;
  *out = recv;
  if (in_place && c == "reduce_scatter") *out = block;
  if (in_place && c == "all_gather") *in = block;
}

// send_recv exchanges within pairs (0,1), (2,3), ...; permute shifts by one around the ring.
int CollectiveCase::send_peer() const {
  const int rank = params_.rank, n = params_.nranks;
  const int to = params_.collective == "send_recv" ? rank ^ 1 : (rank + 1) % n;
  return n == 1 || to >= n ? -1 : to;
}

int CollectiveCase::recv_peer() const {
  const int rank = params_.rank, n = params_.nranks;
  if (send_peer() < 0) return -1;
  return params_.collective == "send_recv" ? rank ^ 1 : (rank + n - 1) % n;
}

long CollectiveCase::CountWrong(const void* recv, bool in_place) const {
  const TypeInfo& t = *params_.type;
  const std::string& c = params_.collective;
  const int rank = params_.rank, n = params_.nranks;
  const ultraccRedOp_t op = HasRedOp(c) ? params_.op : ultraccSum;
  long wrong = 0;
  std::vector<double> values(static_cast<size_t>(n));
  auto reduced = [&](const void* out, size_t out_index, size_t in_index) {
    for (int r = 0; r < n; ++r) values[static_cast<size_t>(r)] = Input(r, in_index);
    const double expected = ReferenceReduce(values, op, t);
    if (!Matches(LoadElement(out, out_index, t), expected, values, op, t)) ++wrong;
  };
  auto copied = [&](const void* out, size_t out_index, double expected) {
    if (LoadElement(out, out_index, t) != expected) ++wrong;
  };
  if (c == "all_reduce" || (c == "reduce" && rank == params_.root)) {
    for (size_t i = 0; i < block_; ++i) reduced(recv, i, i);
  } else if (c == "reduce_scatter") {
    const size_t base = static_cast<size_t>(rank) * block_;
    const char* out = static_cast<const char*>(recv) + (in_place ? base * t.bytes : 0);
    for (size_t j = 0; j < block_; ++j) reduced(out, j, base + j);
  } else if (c == "all_gather") {
    for (int r = 0; r < n; ++r) {
      for (size_t j = 0; j < block_; ++j) copied(recv, r * block_ + j, Input(r, j));
    }
  } else if (c == "all_to_all") {
    for (int r = 0; r < n; ++r) {
      for (size_t j = 0; j < block_; ++j) {
        copied(recv, r * block_ + j, Input(r, static_cast<size_t>(rank) * block_ + j));
      }
    }
  } else if (c == "all_to_allv") {
    for (int r = 0; r < n; ++r) {
      const size_t from = AllToAllvDispl(r, rank);
      for (size_t j = 0; j < recv_counts_[r]; ++j) {
        copied(recv, recv_displs_[r] + j, Input(r, from + j));
      }
    }
  } else if (c == "broadcast") {
    for (size_t i = 0; i < block_; ++i) copied(recv, i, Input(params_.root, i));
  } else if (c == "send_recv" || c == "permute") {
    const int from = c == "send_recv" ? rank ^ 1 : (rank + n - 1) % n;
    if (n > 1 && from < n) {
      for (size_t i = 0; i < block_; ++i) copied(recv, i, Input(from, i));
    }
  }
  return wrong;
}

}  // namespace ultracc::bench
