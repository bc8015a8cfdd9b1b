// CollectiveCase::Run, the one part of the benchmark's cases that calls libultracc (kept apart so
// that engine-only mode and `ultracc bench` use the cases without linking the library).
#include "tools/bench/collective_case.h"

namespace ultracc::bench {

ultraccResult_t CollectiveCase::Run(const void* send, void* recv, bool in_place, ultraccComm_t comm,
                                    ultraccStream_t stream) const {
  const std::string& c = params_.collective;
  const ultraccDataType_t dt = params_.type->type;
  const void* in = nullptr;
  void* out = nullptr;
  CallBuffers(const_cast<void*>(send), recv, in_place, &in, &out);
  if (c == "all_reduce") return ultraccAllReduce(in, out, block_, dt, params_.op, comm, stream);
  if (c == "reduce_scatter") {
    return ultraccReduceScatter(in, out, block_, dt, params_.op, comm, stream);
  }
  if (c == "all_gather") return ultraccAllGather(in, out, block_, dt, comm, stream);
  if (c == "all_to_all") return ultraccAllToAll(in, out, block_, dt, comm, stream);
  if (c == "all_to_allv") {
    return ultraccAllToAllv(in, send_counts_.data(), send_displs_.data(), out, recv_counts_.data(),
                            recv_displs_.data(), dt, comm, stream);
  }
  if (c == "broadcast") return ultraccBroadcast(in, out, block_, dt, params_.root, comm, stream);
  if (c == "reduce")
    return ultraccReduce(in, out, block_, dt, params_.op, params_.root, comm, stream);
  if (send_peer() < 0) return ultraccSuccess;
  ultraccResult_t result = ultraccGroupStart();
  if (result != ultraccSuccess) return result;
  ultraccResult_t s = ultraccSend(in, block_, dt, send_peer(), comm, stream);
  ultraccResult_t v =
      s == ultraccSuccess ? ultraccRecv(out, block_, dt, recv_peer(), comm, stream) : s;
  result = ultraccGroupEnd();
  return s != ultraccSuccess ? s : v != ultraccSuccess ? v : result;
}

}  // namespace ultracc::bench
