// The progress loop and the message protocol; see ofi_progress.h and ofi_transport.h.
#include "transport/ofi/ofi_progress.h"

#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ultracc::transport::ofi {
namespace {

constexpr size_t kHeartbeatSlots = 8;
constexpr size_t kBatch = 32;
// Empty polls before the thread blocks. Few: on two oversubscribed cores a polling thread keeps
// the ranks it serves off the CPU (256 polls made a 1 KiB round trip 4x slower than blocking).
constexpr int kIdlePolls = 8;
constexpr absl::Duration kLongestSleep = absl::Milliseconds(10);

}  // namespace

ProgressEngine::ProgressEngine(const ProgressSettings& settings, OfiEndpoint* endpoint,
                               RegistrationCache* registrations)
    : settings_(settings),
      segment_bytes_(std::min(settings.segment_bytes, kLongestSegment)),
      endpoint_(endpoint),
      registrations_(registrations),
      heard_(settings.size, false),
      pending_per_peer_(settings.size, 0),
      last_heard_(settings.size, absl::InfinitePast()),
      lost_(settings.size),
      heartbeat_out_(settings.size),
      heartbeat_in_(kHeartbeatSlots),
      overflow_sink_(segment_bytes_) {
  // Registered up front and for the transport's life (operations then find them in the cache);
  // should that fail, what uses them fails with the reason.
  registrations_->Register(overflow_sink_.data(), overflow_sink_.size()).IgnoreError();
  registrations_->Register(heartbeat_out_.data(), heartbeat_out_.size() * sizeof(Heartbeat))
      .IgnoreError();
  registrations_->Register(heartbeat_in_.data(), heartbeat_in_.size() * sizeof(Heartbeat))
      .IgnoreError();
  for (Heartbeat& slot : heartbeat_out_) slot.word = settings.rank;
  for (Heartbeat& slot : heartbeat_in_) OnHeartbeat(&slot);  // posts the receive
  thread_ = std::thread([this] { Run(); });
}

ProgressEngine::~ProgressEngine() {
  Enqueue([this] {
    Shutdown(absl::CancelledError(
        absl::StrCat("ofi rank ", settings_.rank, ": transport destroyed with requests pending")));
    stop_ = true;
  });
  thread_.join();
}

void ProgressEngine::Enqueue(std::function<void()> command) {
  {
    absl::MutexLock lock(&mutex_);
    commands_.push_back(std::move(command));
  }
  if (sleeping_.load()) endpoint_->Signal();
}

void ProgressEngine::Connect(std::vector<fi_addr_t> peers) {
  Enqueue([this, peers = std::move(peers)] {
    peers_ = peers;
    connected_ = true;
    const absl::Time now = absl::Now();
    for (int peer = 0; peer < settings_.size; ++peer) {
      last_heard_[peer] = std::max(last_heard_[peer], now);
    }
    next_heartbeat_ = absl::InfinitePast();
    if (settings_.size == 1) peers_heard_.Complete(absl::OkStatus());
    std::vector<std::function<void()>> deferred = std::move(before_connect_);
    for (auto& command : deferred) command();
  });
}

absl::Status ProgressEngine::WaitForPeers(absl::Time deadline) {
  absl::Status status = peers_heard_.Wait(deadline);
  if (status.code() != absl::StatusCode::kDeadlineExceeded) return status;
  absl::MutexLock lock(&mutex_);
  std::vector<int> silent;
  for (int peer = 0; peer < settings_.size; ++peer) {
    if (peer != settings_.rank && !heard_[peer]) silent.push_back(peer);
  }
  return absl::DeadlineExceededError(absl::StrCat("ofi rank ", settings_.rank,
                                                  ": no word by the deadline from peer ranks ",
                                                  absl::StrJoin(silent, ", ")));
}

void ProgressEngine::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                              Request* request) {
  auto message = std::make_unique<Message>();
  message->is_send = true;
  message->peer = peer;
  message->tag = tag;
  message->data = static_cast<char*>(const_cast<void*>(data));
  message->bytes = bytes;
  message->request = request;
  Submit(std::move(message), &ProgressEngine::StartSend);
}

void ProgressEngine::PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) {
  auto message = std::make_unique<Message>();
  message->peer = peer;
  message->tag = tag;
  message->data = static_cast<char*>(data);
  message->bytes = bytes;
  message->request = request;
  Submit(std::move(message), &ProgressEngine::StartRecv);
}

void ProgressEngine::Submit(std::unique_ptr<Message> message,
                            void (ProgressEngine::*start)(std::unique_ptr<Message>)) {
  {
    absl::MutexLock lock(&mutex_);
    if (!closed_.ok()) {
      message->request->Complete(closed_);
      return;
    }
  }
  Enqueue([this, start, m = message.release()] { (this->*start)(std::unique_ptr<Message>(m)); });
}

void ProgressEngine::Abort(const absl::Status& cause) {
  {
    absl::MutexLock lock(&mutex_);
    if (closed_.ok()) closed_ = cause;
  }
  Enqueue([this, cause] { Shutdown(cause); });
}

void ProgressEngine::Run() {
  int idle = 0;
  while (!stop_) {
    bool busy = RunCommands();
    if (stop_) break;
    if (shut_down_) {
      // Nothing left to progress; only commands (failed at once) can arrive.
      absl::MutexLock lock(&mutex_);
      mutex_.AwaitWithTimeout(
          absl::Condition(
              +[](std::vector<std::function<void()>>* c) { return !c->empty(); }, &commands_),
          kLongestSleep);
      continue;
    }
    busy |= ReadCompletions(false) > 0;
    FlushPosts();
    if (connected_) {
      const absl::Time now = absl::Now();
      SendHeartbeats(now);
      CheckPeers(now);
    }
    if (busy) {
      idle = 0;
      continue;
    }
    if (++idle < kIdlePolls) continue;
    sleeping_ = true;
    bool queued;
    {
      absl::MutexLock lock(&mutex_);
      queued = !commands_.empty();
    }
    if (!queued) ReadCompletions(true);
    sleeping_ = false;
    idle = 0;
  }
}

bool ProgressEngine::RunCommands() {
  std::vector<std::function<void()>> commands;
  {
    absl::MutexLock lock(&mutex_);
    commands.swap(commands_);
  }
  for (auto& command : commands) command();
  return !commands.empty();
}

size_t ProgressEngine::ReadCompletions(bool block) {
  fi_cq_tagged_entry entries[kBatch];
  const absl::Duration sleep = std::min(kLongestSleep, settings_.heartbeat_interval);
  ssize_t count = block ? endpoint_->WaitAndRead(entries, kBatch, sleep)
                        : fi_cq_read(endpoint_->cq(), entries, kBatch);
  if (count == -FI_EAVAIL) {
    fi_cq_err_entry error{};
    if (fi_cq_readerr(endpoint_->cq(), &error, 0) == 1) OnError(error);
    return 1;
  }
  if (count <= 0) return 0;
  for (ssize_t i = 0; i < count; ++i) {
    OnCompletion(entries[i].op_context, entries[i].len, entries[i].data,
                 (entries[i].flags & FI_REMOTE_CQ_DATA) != 0);
  }
  return static_cast<size_t>(count);
}

void ProgressEngine::OnCompletion(void* context, size_t length, uint64_t data, bool has_data) {
  auto* heartbeat = static_cast<Heartbeat*>(context);
  if (heartbeat >= heartbeat_out_.data() && heartbeat < heartbeat_out_.data() + settings_.size) {
    heartbeat->in_flight = false;
    return;
  }
  if (heartbeat >= heartbeat_in_.data() && heartbeat < heartbeat_in_.data() + kHeartbeatSlots) {
    OnHeartbeat(heartbeat);
    return;
  }
  auto* segment = static_cast<Segment*>(context);
  Message* message = segment->message;
  if (!message->is_send) last_heard_[message->peer] = absl::Now();
  if (!message->is_send && segment->index == 0 && !message->request_done) {
    // Without remote data the sender's size is unknown; what arrived is all there is (the
    // receive had room for a whole segment, so nothing was cut off).
    OnRecvHead(message, has_data ? data : length);
  }
  SegmentDone(segment, absl::OkStatus());
}

void ProgressEngine::OnError(const fi_cq_err_entry& error) {
  // Some providers (shm) report the error code negated.
  const int code = error.err < 0 ? -error.err : error.err;
  char text[256] = "";
  fi_cq_strerror(endpoint_->cq(), error.prov_errno, error.err_data, text, sizeof(text));
  const std::string cause =
      absl::StrCat(FiErrorText(code), text[0] ? " (" : "", text, text[0] ? ")" : "");
  auto* heartbeat = static_cast<Heartbeat*>(error.op_context);
  if (heartbeat >= heartbeat_out_.data() && heartbeat < heartbeat_out_.data() + settings_.size) {
    heartbeat->in_flight = false;
    const int peer = static_cast<int>(heartbeat - heartbeat_out_.data());
    LosePeer(peer, absl::UnavailableError(absl::StrCat("ofi rank ", settings_.rank, ": peer rank ",
                                                       peer, " is unreachable: ", cause)));
    return;
  }
  if (heartbeat >= heartbeat_in_.data() && heartbeat < heartbeat_in_.data() + kHeartbeatSlots) {
    if (code != FI_ECANCELED) OnHeartbeat(heartbeat);
    return;
  }
  auto* segment = static_cast<Segment*>(error.op_context);
  Message* message = segment->message;
  if (code == FI_ETRUNC) {
    // Cannot happen: every receive has room for a whole segment (ofi_message.h). What the error
    // reports is not relied on, as shm leaves its sizes and CQ data empty.
    SegmentDone(segment, absl::InternalError(
                             absl::StrCat(Describe(*message), ": segment ", segment->index,
                                          " was truncated although the receive had room for ",
                                          segment->length + segment->overflow,
                                          " bytes; later messages under this tag may be misread")));
    return;
  }
  SegmentDone(segment,
              code == FI_ECANCELED
                  ? absl::CancelledError(absl::StrCat(Describe(*message), " cancelled"))
                  : absl::UnavailableError(absl::StrCat(Describe(*message), " failed: ", cause)));
}

void ProgressEngine::OnHeartbeat(Heartbeat* slot) {
  if (slot->word < static_cast<uint64_t>(settings_.size) && slot->in_flight) {
    const int peer = static_cast<int>(slot->word);
    last_heard_[peer] = absl::Now();
    absl::MutexLock lock(&mutex_);
    if (!heard_[peer]) {
      heard_[peer] = true;
      if (std::count(heard_.begin(), heard_.end(), true) == settings_.size - 1) {
        peers_heard_.Complete(absl::OkStatus());
      }
    }
  }
  slot->word = ~uint64_t{0};
  slot->in_flight = true;
  auto desc = registrations_->Describe(&slot->word, sizeof(slot->word));
  fi_recv(endpoint_->ep(), &slot->word, sizeof(slot->word), desc.ok() ? desc->desc : nullptr,
          FI_ADDR_UNSPEC, &slot->context);
}

void ProgressEngine::SendHeartbeats(absl::Time now) {
  if (now < next_heartbeat_) return;
  next_heartbeat_ = now + settings_.heartbeat_interval;
  for (int peer = 0; peer < settings_.size; ++peer) {
    Heartbeat& slot = heartbeat_out_[peer];
    if (peer == settings_.rank || slot.in_flight || !lost_[peer].ok()) continue;
    auto desc = registrations_->Describe(&slot.word, sizeof(slot.word));
    slot.in_flight = fi_send(endpoint_->ep(), &slot.word, sizeof(slot.word),
                             desc.ok() ? desc->desc : nullptr, peers_[peer], &slot.context) == 0;
  }
}

void ProgressEngine::CheckPeers(absl::Time now) {
  // Only peers someone waits on are judged: an idle silent peer harms no one yet.
  for (int peer = 0; peer < settings_.size; ++peer) {
    if (peer == settings_.rank || pending_per_peer_[peer] == 0 || !lost_[peer].ok()) continue;
    const absl::Duration silent = now - last_heard_[peer];
    if (silent > settings_.peer_timeout) {
      LosePeer(peer, absl::UnavailableError(absl::StrCat(
                         "ofi rank ", settings_.rank, ": peer rank ", peer, " silent for ",
                         absl::FormatDuration(silent), " (no heartbeat); presumed lost")));
    }
  }
}

}  // namespace ultracc::transport::ofi
