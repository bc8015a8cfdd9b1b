// The progress thread of the ofi transport: the only thread that posts to the endpoint and reads
// its completion queue. It runs the message protocol (segmentation, one active receive per peer
// and tag, size checks), retries posts the provider refused for lack of resources, and watches
// peers through heartbeats.
#pragma once

#include <rdma/fabric.h>
#include <rdma/fi_eq.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/completion.h"
#include "transport/ofi/ofi_endpoint.h"
#include "transport/ofi/ofi_message.h"
#include "transport/ofi/ofi_registration_cache.h"

namespace ultracc::transport::ofi {

struct ProgressSettings {
  int rank = 0;
  int size = 1;
  size_t segment_bytes = 0;  // largest libfabric message the provider takes
  size_t inject_bytes = 0;   // sends up to this size go out with fi_tinjectdata
  absl::Duration heartbeat_interval;
  absl::Duration peer_timeout;
};

// Concurrency: public methods may be called from any thread; they queue closures that the
// progress thread runs in order (so one thread's posts keep their order). Everything below the
// queue is owned by the progress thread.
class ProgressEngine {
 public:
  ProgressEngine(const ProgressSettings& settings, OfiEndpoint* endpoint,
                 RegistrationCache* registrations);
  // Fails what is pending with Cancelled, lets go of the endpoint (OfiEndpoint::CloseEndpoint)
  // and joins the thread.
  ~ProgressEngine();

  // Starts using the peers' addresses (indexed by rank); requests posted before flow from now on.
  void Connect(std::vector<fi_addr_t> peers);
  // Waits until every peer has been heard from; names the silent ones on timeout.
  absl::Status WaitForPeers(absl::Time deadline);

  void PostSend(int peer, uint64_t tag, const void* data, size_t bytes, Request* request);
  void PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request);
  void Abort(const absl::Status& cause);

 private:
  struct Heartbeat {
    fi_context2 context;  // first: the CQ returns its address
    uint64_t word = 0;
    bool in_flight = false;
  };
  using StreamKey = std::pair<int, uint64_t>;

  void Enqueue(std::function<void()> command);
  // Fails `message` at once if the engine is closed, else hands it to `start` on the progress
  // thread (in posting order).
  void Submit(std::unique_ptr<Message> message,
              void (ProgressEngine::*start)(std::unique_ptr<Message>));
  void Run();
  bool RunCommands();
  size_t ReadCompletions(bool block);
  void OnCompletion(void* context, size_t length, uint64_t data, bool has_data);
  void OnError(const fi_cq_err_entry& error);
  void OnHeartbeat(Heartbeat* slot);

  // Takes ownership of a new message: defers it (re-running `start`) until connected, or fails it
  // at once when the transport is shut down or its peer lost. Returns it only when it may go on.
  Message* Admit(std::unique_ptr<Message> owned,
                 void (ProgressEngine::*start)(std::unique_ptr<Message>));
  void StartSend(std::unique_ptr<Message> message);
  void StartRecv(std::unique_ptr<Message> message);
  void QueueSegment(Message* message, size_t index, char* data, size_t length, size_t overflow = 0);
  void QueueFirstSegment(Message* message);
  void OnRecvHead(Message* message, size_t announced);
  void FlushPosts();
  void SegmentDone(Segment* segment, const absl::Status& status);
  void Finish(Message* message);
  void CompleteRequest(Message* message, absl::Status status);
  void Release(Message* message);

  void SendHeartbeats(absl::Time now);
  void CheckPeers(absl::Time now);
  void LosePeer(int peer, const absl::Status& cause);
  void Shutdown(const absl::Status& cause);
  void CancelReceives();
  std::string Describe(const Message& message) const;

  const ProgressSettings settings_;
  const size_t segment_bytes_;  // settings_.segment_bytes, at most kLongestSegment
  OfiEndpoint* const endpoint_;
  RegistrationCache* const registrations_;

  absl::Mutex mutex_;
  std::vector<std::function<void()>> commands_ ABSL_GUARDED_BY(mutex_);
  absl::Status closed_ ABSL_GUARDED_BY(mutex_);  // non-OK once aborted: later posts fail at once
  std::vector<bool> heard_ ABSL_GUARDED_BY(mutex_);
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stop_{false};
  Completion peers_heard_;

  // Progress thread only.
  bool connected_ = false;
  bool shut_down_ = false;
  std::vector<fi_addr_t> peers_;
  std::vector<std::function<void()>> before_connect_;
  absl::flat_hash_map<Message*, std::unique_ptr<Message>> live_;
  absl::flat_hash_map<StreamKey, std::deque<Message*>> recv_streams_;  // front is active
  std::deque<Segment*> backlog_;  // segments not yet accepted by the provider, in posting order
  std::vector<size_t> pending_per_peer_;
  std::vector<absl::Time> last_heard_;
  std::vector<absl::Status> lost_;  // non-OK for peers declared lost
  std::vector<Heartbeat> heartbeat_out_;
  std::vector<Heartbeat> heartbeat_in_;
  // One segment; tops up short first receives and takes mismatched segments (ofi_message.h). Only
  // bytes that no caller will read land here, so concurrent receives may share it.
  std::vector<char> overflow_sink_;
  absl::Time next_heartbeat_ = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace ultracc::transport::ofi
