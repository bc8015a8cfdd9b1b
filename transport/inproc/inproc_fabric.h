// An in-process transport for tests: the members of the peer group are threads of one process,
// and a message is a memcpy between their buffers.
//
// Semantics match transport.h: receives match sends by (peer, tag), in posting order per tag;
// messages that arrive before their receive are kept as unexpected messages; a size mismatch fails
// both requests with an error naming both sizes. Messages up to kEagerBytes are copied at send time
// and the send completes at once; larger ones wait for their receive (rendezvous), which completes
// both, so tests exercise both behaviours a real transport shows.
//
// Abort(cause) on member m fails m's pending and future requests with `cause`, and behaves as the
// loss of peer m for the others: their pending and future receives from m (with nothing buffered)
// and sends to m fail with Unavailable naming m.
//
// Threading: any member may be used from any thread; requests complete on the thread whose post
// matched them.
#pragma once

#include <memory>
#include <vector>

#include "transport/transport.h"

namespace ultracc::transport::inproc {

class InProcFabric {
 public:
  static constexpr size_t kEagerBytes = 64 * 1024;

  explicit InProcFabric(int size);
  ~InProcFabric();
  InProcFabric(const InProcFabric&) = delete;
  InProcFabric& operator=(const InProcFabric&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  // Member `rank`'s view of the fabric; owned by the fabric.
  Transport* member(int rank);

  class Member;

 private:
  std::vector<std::unique_ptr<Member>> members_;
};

}  // namespace ultracc::transport::inproc
