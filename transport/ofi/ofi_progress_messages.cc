// The message half of ProgressEngine: segmenting sends, running one receive at a time per peer
// and tag, size checks, and failing requests when a peer is lost or the transport shuts down.
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>
#include <sys/uio.h>

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
  message->segment_count = SegmentCount(message->bytes, segment_bytes_);
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
    QueueSegment(message, i, message->data + i * segment_bytes_,
                 SegmentLength(message->bytes, segment_bytes_, i));
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
    QueueFirstSegment(message);
    FlushPosts();
  }
}

void ProgressEngine::QueueSegment(Message* message, size_t index, char* data, size_t length,
                                  size_t overflow) {
  auto segment = std::make_unique<Segment>();
  segment->message = message;
  segment->index = index;
  segment->data = data;
  segment->length = length;
  segment->overflow = overflow;
  backlog_.push_back(segment.get());
  message->segments.push_back(std::move(segment));
}

void ProgressEngine::QueueFirstSegment(Message* message) {
  // Room for a whole segment, so the first one never truncates and always tells the sender's size.
  const size_t length = std::min(message->bytes, segment_bytes_);
  QueueSegment(message, 0, message->data, length, segment_bytes_ - length);
}

void ProgressEngine::FlushPosts() {
  while (!backlog_.empty()) {
    Segment* segment = backlog_.front();
    Message* message = segment->message;
    absl::StatusOr<RegistrationCache::Descriptor> desc =
        registrations_->Describe(segment->data, segment->length);
    absl::StatusOr<RegistrationCache::Descriptor> sink_desc = RegistrationCache::Descriptor{};
    if (segment->overflow > 0) {
      sink_desc = registrations_->Describe(overflow_sink_.data(), segment->overflow);
      if (!sink_desc.ok()) desc = sink_desc.status();
    }
    ssize_t rc = 0;
    if (desc.ok() && message->is_send) {
      rc = fi_tsenddata(endpoint_->ep(), segment->data, segment->length, desc->desc,
                        message->bytes, peers_[message->peer], message->tag, &segment->context);
    } else if (desc.ok() && segment->overflow == 0) {
      rc = fi_trecv(endpoint_->ep(), segment->data, segment->length, desc->desc,
                    peers_[message->peer], message->tag, 0, &segment->context);
    } else if (desc.ok()) {
      iovec iov[2];
      void* descs[2];
      size_t count = 0;
      if (segment->length > 0) {
        iov[count] = {segment->data, segment->length};
        descs[count++] = desc->desc;
      }
      iov[count] = {overflow_sink_.data(), segment->overflow};
      descs[count++] = sink_desc->desc;
      rc = fi_trecvv(endpoint_->ep(), iov, descs, count, peers_[message->peer], message->tag, 0,
                     &segment->context);
    }
    if (rc == -FI_EAGAIN) return;  // the provider frees room as the CQ is read
    backlog_.pop_front();
    if (desc.ok() && rc == 0) {
      ++message->posted;
      // A registration made for this segment lives as long as its message.
      if (desc->owned) message->registrations.push_back(std::move(desc->owned));
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
  message->segment_count = SegmentCount(announced, segment_bytes_);
  const bool matches = announced == message->bytes;
  if (!matches) {
    message->status =
        absl::InvalidArgumentError(absl::StrCat(Describe(*message), ": expected ", message->bytes,
                                                " bytes, the message has ", announced, " bytes"));
  }
  // On a size mismatch the rest is still consumed, whole, into the overflow sink, so the next
  // message under this tag starts cleanly.
  for (size_t i = 1; i < message->segment_count; ++i) {
    const size_t length = SegmentLength(announced, segment_bytes_, i);
    if (matches) {
      QueueSegment(message, i, message->data + i * segment_bytes_, length);
    } else {
      QueueSegment(message, i, nullptr, 0, length);
    }
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
        QueueFirstSegment(stream.front());
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
    // transport is aborted or destroyed (libfabric offers no reliable send cancellation), and
    // over shm a peer may read it even later (with process_vm_readv, which fails, not faults).
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
  // Requests may complete once the provider can touch no buffer of theirs. A closed endpoint
  // touches none. An endpoint whose close must wait (shm, see ofi_endpoint.h) is never read or
  // posted to again from here on: shm copies into receive buffers only while the receiver's CQ
  // is read, and withdrawing the posted receives leaves it nothing to copy into even then.
  CancelReceives();
  if (endpoint_->CloseEndpoint()) {
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

void ProgressEngine::CancelReceives() {
  // A context the provider no longer holds is not found, which is harmless.
  for (Heartbeat& slot : heartbeat_in_) fi_cancel(&endpoint_->ep()->fid, &slot.context);
  for (auto& [message, owned] : live_) {
    if (message->is_send) continue;
    for (auto& segment : message->segments) fi_cancel(&endpoint_->ep()->fid, &segment->context);
  }
}

std::string ProgressEngine::Describe(const Message& message) const {
  return absl::StrCat("ofi rank ", settings_.rank, ": ",
                      message.is_send ? "send to" : "receive from", " peer rank ", message.peer,
                      " tag ", message.tag);
}

}  // namespace ultracc::transport::ofi
