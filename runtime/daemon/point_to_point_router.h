// Sends and receives of one node's ranks in daemon mode. A pair of local ranks is matched here and
// served by one copy between their arenas; a rank on another node is reached over the node
// transport, with a tag naming both chips and the message's number, so the two daemons match the
// message without talking about it first. Every operation carries a deadline; a match of two
// different sizes fails both sides with a message naming both.
//
// Threading: Submit and SetTransport may be called from any thread; one worker thread owns the
// matching tables and the requests in flight. Answers go to the `answer` callback from the worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/submission/op_descriptor.h"
#include "transport/transport.h"

namespace ultracc::daemon {

struct PointToPointOptions {
  int node_rank = 0;
  int nodes = 1;
  int chips_per_node = 1;
  absl::Duration timeout = absl::Seconds(300);
};

class PointToPointRouter {
 public:
  // Called once per submitted operation, with the local rank that submitted it.
  using Answer = std::function<void(int local_rank, const submission::OpDescriptor& d,
                                    const absl::Status& status)>;

  PointToPointRouter(PointToPointOptions options, Answer answer);
  // Fails what is still pending with Cancelled and joins the worker. The transport must be
  // aborted (or idle) first: requests in flight point into the ranks' arenas.
  ~PointToPointRouter();
  PointToPointRouter(const PointToPointRouter&) = delete;
  PointToPointRouter& operator=(const PointToPointRouter&) = delete;

  // The node transport, once connected (members = nodes). Remote operations wait for it.
  void SetTransport(transport::Transport* transport);
  // A send or receive of local rank `local_rank`; `buffer` is its checked arena range of `bytes`.
  void Submit(int local_rank, const submission::OpDescriptor& d, char* buffer, size_t bytes);
  // Answers everything pending, now and later, with `cause`.
  void Fail(absl::Status cause);

  // The transport tag of message `sequence` from local chip `src_local` to `dst_local`.
  static uint64_t RemoteTag(int src_local, int dst_local, uint64_t sequence);

 private:
  struct Item {
    int local_rank = 0;
    submission::OpDescriptor d{};
    char* buffer = nullptr;
    size_t bytes = 0;
    absl::Time deadline;
  };
  struct InFlight {
    Item item;
    transport::Request request;
  };
  // (source global rank, destination global rank, sequence) of a local message.
  using Key = std::tuple<int, int, uint64_t>;

  void Run();
  void Reply(const Item& item, const absl::Status& status);

  const PointToPointOptions options_;
  const Answer answer_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  transport::Transport* transport_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<Item> inbox_ ABSL_GUARDED_BY(mu_);
  std::vector<Item> waiting_for_transport_ ABSL_GUARDED_BY(mu_);
  std::map<Key, Item> local_sends_ ABSL_GUARDED_BY(mu_);
  std::map<Key, Item> local_recvs_ ABSL_GUARDED_BY(mu_);
  std::list<InFlight> in_flight_ ABSL_GUARDED_BY(mu_);  // a list: requests never move
  std::list<InFlight> abandoned_ ABSL_GUARDED_BY(mu_);  // timed out, maybe still referenced
  std::thread worker_;
};

}  // namespace ultracc::daemon
