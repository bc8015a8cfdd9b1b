// The message half of ProgressEngine: segmenting sends, running one receive at a time per peer
// and tag, size checks, and failing requests when a peer is lost or the transport shuts down.
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>

#include "absl/strings/str_cat.h"
#include "transport/ofi/ofi_progress.h"

namespace ultracc::transport::ofi {

Message* ProgressEngine::Admit(std::unique_ptr<Message> owned,
                               void (ProgressEngine::*start)(std::unique_ptr<Message>)) {
  if (!connected_ && !shut_down_) {
    before_connect_.push_back(
        [this, start, m = owned.release()] { (this->*start)(std::unique_ptr<Message>(m)); });
    return nullptr;
  }
  Message* message = owned.get();
  live_[message] = std::move(owned);
  ++pending_per_peer_[message->peer];
  if (shut_down_ || !lost_[message->peer].ok()) {
    absl::MutexLock lock(&mutex_);
    CompleteRequest(message, shut_down_ ? closed_ : lost_[message->peer]);
    Release(message);
    return nullptr;
  }
  return message;
}

void ProgressEngine::StartSend(std::unique_ptr<Message> owned) {
  Message* message = Admit(std::move(owned), &ProgressEngine::StartSend);
  if (message == nullptr) return;
  message->segment_count = SegmentCount(message->bytes, settings_.segment_bytes);
  if (message->segment_count == 1 && message->bytes <= settings_.inject_bytes && backlog_.empty()) {
    // Injected data is copied out at once and reports no completion.
    ssize_t rc = fi_tinjectdata(endpoint_->ep(), message->data, message->bytes, message->bytes,
                                peers_[message->peer], message->tag);
    if (rc != -FI_EAGAIN) {
      CompleteRequest(message, rc == 0 ? absl::OkStatus()
                                       : absl::UnavailableError(absl::StrCat(
                                             Describe(*message), " failed: ", FiErrorText(rc))));
      Release(message);
      return;
    }
  }
  for (size_t i = 0; i < message->segment_count; ++i) {
    QueueSegment(message, i, message->data + i * settings_.segment_bytes,
                 SegmentLength(message->bytes, settings_.segment_bytes, i));
  }
  FlushPosts();
}

void ProgressEngine::StartRecv(std::unique_ptr<Message> owned) {
  Message* message = Admit(std::move(owned), &ProgressEngine::StartRecv);
  if (message == nullptr) return;
  // Segments carry the caller's tag unchanged, so only the active receive of a (peer, tag) stream
  // may have receives posted: the next libfabric message under that tag then belongs to it.
  std::deque<Message*>& stream = recv_streams_[{message->peer, message->tag}];
  stream.push_back(message);
  if (stream.size() == 1) {
    QueueSegment(message, 0, message->data, std::min(message->bytes, settings_.segment_bytes));
    FlushPosts();
  }
}

void ProgressEngine::QueueSegment(Message* message, size_t index, char* data, size_t length) {
  auto segment = std::make_unique<Segment>();
  segment->message = message;
  segment->index = index;
  segment->data = data;
  segment->length = length;
  backlog_.push_back(segment.get());
  message->segments.push_back(std::move(segment));
}

void ProgressEngine::FlushPosts() {
  while (!backlog_.empty()) {
    Segment* segment = backlog_.front();
    Message* message = segment->message;
    absl::StatusOr<void*> desc = registrations_->Describe(segment->data, segment->length);
    ssize_t rc = 0;
    if (desc.ok() && message->is_send) {
      rc = fi_tsenddata(endpoint_->ep(), segment->data, segment->length, *desc, message->bytes,
                        peers_[message->peer], message->tag, &segment->context);
    } else if (desc.ok()) {
      rc = fi_trecv(endpoint_->ep(), segment->data, segment->length, *desc, peers_[message->peer],
                    message->tag, 0, &segment->context);
    }
    if (rc == -FI_EAGAIN) return;  // the provider frees room as the CQ is read
    backlog_.pop_front();
    if (desc.ok() && rc == 0) {
      ++message->posted;
      continue;
    }
    std::erase_if(backlog_, [message](Segment* s) { return s->message == message; });
    CompleteRequest(message, desc.ok() ? absl::UnavailableError(absl::StrCat(
                                             Describe(*message), " failed: ", FiErrorText(rc)))
                                       : desc.status());
    Release(message);
  }
}

void ProgressEngine::OnRecvHead(Message* message, size_t announced) {
  message->segment_count = SegmentCount(announced, settings_.segment_bytes);
  const bool matches = announced == message->bytes;
  if (!matches) {
    message->status =
        absl::InvalidArgumentError(absl::StrCat(Describe(*message), ": expected ", message->bytes,
                                                " bytes, the message has ", announced, " bytes"));
  }
  // On a size mismatch the rest is still consumed, into zero-length (truncating) receives, so
  // the next message under this tag starts cleanly.
  for (size_t i = 1; i < message->segment_count; ++i) {
    QueueSegment(message, i, matches ? message->data + i * settings_.segment_bytes : nullptr,
                 matches ? SegmentLength(announced, settings_.segment_bytes, i) : 0);
  }
}

void ProgressEngine::SegmentDone(Segment* segment, const absl::Status& status) {
  Message* message = segment->message;
  ++message->finished;
  if (message->request_done) {
    Release(message);
    return;
  }
  if (!status.ok()) {
    std::erase_if(backlog_, [message](Segment* s) { return s->message == message; });
    CompleteRequest(message, status);
    Release(message);
    return;
  }
  if (message->finished == message->segment_count) {
    CompleteRequest(message, message->status);
    Release(message);
  }
}

void ProgressEngine::CompleteRequest(Message* message, absl::Status status) {
  if (message->request_done) return;
  message->request_done = true;
  --pending_per_peer_[message->peer];
  if (!message->is_send) {
    auto it = recv_streams_.find(StreamKey{message->peer, message->tag});
    if (it != recv_streams_.end()) {
      std::deque<Message*>& stream = it->second;
      const bool was_active = !stream.empty() && stream.front() == message;
      std::erase(stream, message);
      if (stream.empty()) {
        recv_streams_.erase(it);
      } else if (was_active) {
        Message* next = stream.front();
        QueueSegment(next, 0, next->data, std::min(next->bytes, settings_.segment_bytes));
      }
    }
  }
  message->request->Complete(std::move(status));
}

void ProgressEngine::Release(Message* message) {
  if (message->request_done && message->finished == message->posted) live_.erase(message);
}

void ProgressEngine::LosePeer(int peer, const absl::Status& cause) {
  if (!lost_[peer].ok() || shut_down_) return;
  lost_[peer] = cause;
  std::erase_if(backlog_, [peer](Segment* s) { return s->message->peer == peer; });
  absl::erase_if(recv_streams_, [peer](const auto& entry) { return entry.first.first == peer; });
  std::vector<Message*> doomed;
  for (auto& [message, owned] : live_) {
    if (message->peer == peer && !message->request_done) doomed.push_back(message);
  }
  for (Message* message : doomed) {
    // Receives are withdrawn; a send the provider still holds may read its buffer until the
    // transport is aborted or destroyed (libfabric offers no reliable send cancellation).
    for (auto& segment : message->segments) fi_cancel(&endpoint_->ep()->fid, &segment->context);
    CompleteRequest(message, cause);
    Release(message);
  }
}

void ProgressEngine::Shutdown(const absl::Status& cause) {
  if (shut_down_) return;
  shut_down_ = true;
  {
    absl::MutexLock lock(&mutex_);
    if (closed_.ok()) closed_ = cause;
  }
  peers_heard_.Complete(cause);
  std::vector<std::function<void()>> deferred = std::move(before_connect_);
  for (auto& command : deferred) command();
  // Once the endpoint is closed the provider touches no buffer, so requests may complete.
  endpoint_->CloseEndpoint();
  fi_cq_tagged_entry entries[16];
  for (;;) {
    ssize_t rc = fi_cq_read(endpoint_->cq(), entries, 16);
    if (rc == -FI_EAVAIL) {
      fi_cq_err_entry error{};
      fi_cq_readerr(endpoint_->cq(), &error, 0);
    } else if (rc <= 0) {
      break;
    }
  }
  backlog_.clear();
  recv_streams_.clear();
  for (auto& [message, owned] : live_) {
    if (!message->request_done) {
      message->request_done = true;
      message->request->Complete(cause);
    }
  }
  live_.clear();
}

std::string ProgressEngine::Describe(const Message& message) const {
  return absl::StrCat("ofi rank ", settings_.rank, ": ",
                      message.is_send ? "send to" : "receive from", " peer rank ", message.peer,
                      " tag ", message.tag);
}

}  // namespace ultracc::transport::ofi
