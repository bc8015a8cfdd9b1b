// Segments, matching, progress and loss of the shared-memory transport; see shm_transport.h.
#include "transport/shm/shm_transport.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/completion.h"
#include "runtime/shm/process_descriptor.h"
#include "runtime/shm/shared_region.h"
#include "transport/keyed_queues.h"
#include "transport/shm/shm_layout.h"

namespace ultracc::transport::shm {
namespace {

// How often the progress thread looks for peers that exited without closing their segment.
constexpr absl::Duration kLivenessPeriod = absl::Milliseconds(100);
// A sleeping progress thread wakes at least this often, for the liveness check and for wakes
// from peers that had not mapped this segment yet.
constexpr absl::Duration kSleepSlice = absl::Milliseconds(20);

using Key = PeerTag;

struct PendingRecv {
  void* data = nullptr;
  size_t bytes = 0;
  Request* request = nullptr;
};

struct PendingSend {
  uint64_t tag = 0;
  const unsigned char* data = nullptr;
  size_t bytes = 0;
  size_t offset = 0;
  Request* request = nullptr;
};

// A message that arrived, or is arriving, before its receive was posted.
struct Early {
  std::unique_ptr<unsigned char[]> data;
  size_t bytes = 0;
  bool complete = false;
};

using Done = std::vector<std::pair<Request*, absl::Status>>;

uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

std::string NamespaceInode(const char* link) {
  char target[128];
  const ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n <= 0) return "none";
  std::string text(target, static_cast<size_t>(n));
  const size_t open = text.find('[');
  const size_t close = text.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return text;
  return text.substr(open + 1, close - open - 1);
}

// Wakes the owner of `header` if its progress thread sleeps; the bump alone serves a spinning one.
void Notify(SegmentHeader* header) {
  header->doorbell.fetch_add(1, std::memory_order_seq_cst);
  if (header->sleeping.load(std::memory_order_seq_cst) != 0 &&
      header->sleeping.exchange(0, std::memory_order_seq_cst) != 0) {
    WakeAll(header->doorbell);
  }
}

int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

bool ProcessExited(pid_t pid, int pidfd) {
  if (pidfd >= 0) {
    pollfd p{.fd = pidfd, .events = POLLIN, .revents = 0};
    return poll(&p, 1, 0) > 0;
  }
  return kill(pid, 0) != 0 && errno == ESRCH;
}

struct ParsedAddress {
  std::string host;
  pid_t pid = 0;
  int fd = -1;
};

absl::StatusOr<ParsedAddress> ParseAddress(absl::string_view address) {
  std::vector<absl::string_view> parts = absl::StrSplit(address, ':');
  ParsedAddress parsed;
  int pid = 0;
  if (parts.size() != 4 || parts[0] != "shm" || parts[1].empty() ||
      !absl::SimpleAtoi(parts[2], &pid) || pid <= 0 || !absl::SimpleAtoi(parts[3], &parsed.fd) ||
      parsed.fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' is not a shm address (shm:<host>:<pid>:<fd>)"));
  }
  parsed.host = std::string(parts[1]);
  parsed.pid = pid;
  return parsed;
}

}  // namespace

std::string HostToken() {
  std::string boot_id = "noboot";
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  if (in) std::getline(in, boot_id);
  return absl::StrCat(absl::StripAsciiWhitespace(boot_id), "-", NamespaceInode("/proc/self/ns/net"),
                      "-", NamespaceInode("/proc/self/ns/pid"));
}

absl::StatusOr<std::string> HostOfAddress(absl::string_view address) {
  absl::StatusOr<ParsedAddress> parsed = ParseAddress(address);
  if (!parsed.ok()) return parsed.status();
  return parsed->host;
}

// Everything behind the public class; one mutex guards the queues and both ends of every ring
// this member touches, so the posting threads and the progress thread take turns.
class ShmTransport::State {
 public:
  struct Peer {
    bool connected = false;
    ::ultracc::shm::SharedRegion region;  // the peer's segment
    SegmentHeader* header = nullptr;
    Ring* out = nullptr;  // our ring in the peer's segment
    pid_t pid = 0;
    int pidfd = -1;
    bool lost = false;
    absl::Status lost_status;
    std::deque<PendingSend> sends;
    int posted = 0;  // receives from this peer waiting in `recvs`
    // The message being taken from the peer's ring in our segment.
    bool active = false;
    uint64_t tag = 0;
    size_t bytes = 0;
    size_t received = 0;
    unsigned char* dest = nullptr;  // null: the message is discarded (its receive failed)
    Request* recv = nullptr;
    std::shared_ptr<Early> early;
  };

  ShmOptions options;
  ::ultracc::shm::SharedRegion own;
  SegmentHeader* header = nullptr;
  std::string token;

  std::mutex mu;
  std::vector<Peer> peers;
  KeyedQueues<PendingRecv> recvs;
  KeyedQueues<std::shared_ptr<Early>> early;
  bool aborted = false;
  absl::Status cause;
  absl::Time next_liveness_check = absl::InfinitePast();

  std::atomic<bool> stop{false};
  std::thread progress;

  ~State() {
    for (Peer& peer : peers) {
      if (peer.pidfd >= 0) close(peer.pidfd);
    }
  }

  std::string Who() const { return absl::StrCat("shm rank ", options.rank); }

  absl::Status CheckPost(const char* operation, int peer, bool null_data) const {
    if (peer < 0 || peer >= options.size || peer == options.rank) {
      return absl::InvalidArgumentError(absl::StrCat(Who(), ": cannot ", operation, " peer rank ",
                                                     peer, " (group size ", options.size,
                                                     "; a member cannot address itself)"));
    }
    if (null_data) {
      return absl::InvalidArgumentError(
          absl::StrCat(Who(), ": ", operation, " peer rank ", peer, " with a null buffer"));
    }
    return absl::OkStatus();
  }

  absl::Status SizeMismatch(int peer, uint64_t tag, size_t sent, size_t expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Who(), ": message from peer rank ", peer, " with tag ", tag, " has ", sent,
                     " bytes but the receive expects ", expected, " bytes"));
  }

  absl::Status NotConnected(int peer) const {
    return absl::FailedPreconditionError(
        absl::StrCat(Who(), ": peer rank ", peer, " was not connected over shm"));
  }

  // Forgets the message being taken from the peer's ring (finished, or failed with the peer).
  static void EndMessage(Peer& peer) {
    peer.active = false;
    peer.recv = nullptr;
    peer.early = nullptr;
    peer.dest = nullptr;
  }

  // Copies queued sends into the peer's ring while it has free slots. mu held.
  bool PushSends(Peer& peer, Done& done) {
    if (!peer.connected || peer.lost || peer.sends.empty()) return false;
    Ring* ring = peer.out;
    uint64_t head = ring->head.load(std::memory_order_relaxed);
    uint64_t tail = ring->tail.load(std::memory_order_acquire);
    bool wrote = false;
    while (!peer.sends.empty()) {
      if (head - tail >= kSlots) {
        tail = ring->tail.load(std::memory_order_acquire);
        if (head - tail >= kSlots) break;
      }
      PendingSend& send = peer.sends.front();
      Slot& slot = ring->slots[head % kSlots];
      const size_t chunk = std::min(kSlotBytes, send.bytes - send.offset);
      slot.header = SlotHeader{.tag = send.tag,
                               .message_bytes = send.bytes,
                               .offset = send.offset,
                               .chunk_bytes = chunk};
      if (chunk > 0) std::memcpy(slot.data, send.data + send.offset, chunk);
      ring->head.store(++head, std::memory_order_release);
      // Per chunk, so that the receiver copies out while we copy in.
      Notify(peer.header);
      wrote = true;
      send.offset += chunk;
      if (send.offset == send.bytes) {
        done.emplace_back(send.request, absl::OkStatus());
        peer.sends.pop_front();
      }
    }
    return wrote;
  }

  // Takes the first chunk of a message from `index`: to its posted receive, else kept early.
  void Begin(int index, Peer& peer, const SlotHeader& chunk, Done& done) {
    peer.active = true;
    peer.tag = chunk.tag;
    peer.bytes = chunk.message_bytes;
    peer.received = 0;
    peer.dest = nullptr;
    peer.recv = nullptr;
    peer.early = nullptr;
    PendingRecv recv;
    if (PopFront(recvs, Key{index, chunk.tag}, recv)) {
      --peer.posted;
      if (recv.bytes != chunk.message_bytes) {
        done.emplace_back(recv.request,
                          SizeMismatch(index, chunk.tag, chunk.message_bytes, recv.bytes));
        return;
      }
      peer.dest = static_cast<unsigned char*>(recv.data);
      peer.recv = recv.request;
      return;
    }
    auto kept = std::make_shared<Early>();
    kept->bytes = chunk.message_bytes;
    kept->data.reset(new unsigned char[std::max<size_t>(chunk.message_bytes, 1)]);
    peer.dest = kept->data.get();
    peer.early = kept;
    early[Key{index, chunk.tag}].push_back(std::move(kept));
  }

  // Takes every chunk waiting in the peer's ring in our segment. mu held.
  bool Drain(int index, Done& done) {
    Peer& peer = peers[index];
    Ring* ring = RingOf(own.base(), index);
    uint64_t tail = ring->tail.load(std::memory_order_relaxed);
    uint64_t head = ring->head.load(std::memory_order_acquire);
    bool took = false;
    while (tail != head) {
      const Slot& slot = ring->slots[tail % kSlots];
      const SlotHeader chunk = slot.header;
      if (!peer.active) {
        // A message whose receive is not posted waits in the ring (no allocation, no extra copy)
        // unless a receive from this peer is posted: that one may be behind it, so it moves on to
        // an early buffer.
        if (peer.posted == 0) break;
        Begin(index, peer, chunk, done);
      }
      if (chunk.offset != peer.received || chunk.message_bytes != peer.bytes ||
          chunk.chunk_bytes > kSlotBytes || chunk.chunk_bytes > peer.bytes - peer.received) {
        MarkLost(
            index,
            absl::DataLossError(absl::StrCat(
                Who(), ": peer rank ", index, " wrote a malformed chunk (offset ", chunk.offset,
                ", ", chunk.chunk_bytes, " bytes of ", chunk.message_bytes, ")")),
            done);
        return true;
      }
      if (peer.dest != nullptr && chunk.chunk_bytes > 0) {
        std::memcpy(peer.dest + chunk.offset, slot.data, chunk.chunk_bytes);
      }
      peer.received += chunk.chunk_bytes;
      ring->tail.store(++tail, std::memory_order_release);
      took = true;
      if (peer.received == peer.bytes) {
        if (peer.recv != nullptr) done.emplace_back(peer.recv, absl::OkStatus());
        if (peer.early != nullptr) peer.early->complete = true;
        EndMessage(peer);
      }
      if (tail == head) head = ring->head.load(std::memory_order_acquire);
    }
    // The sender may be waiting for the slots we freed.
    if (took && peer.connected) Notify(peer.header);
    return took;
  }

  // The peer is gone: what it sent stays receivable, everything else with it fails. mu held.
  void MarkLost(int index, absl::Status status, Done& done) {
    Peer& peer = peers[index];
    if (peer.lost) return;
    peer.lost = true;
    peer.lost_status = status;
    for (PendingSend& send : peer.sends) done.emplace_back(send.request, status);
    peer.sends.clear();
    if (peer.active) {
      if (peer.recv != nullptr) done.emplace_back(peer.recv, status);
      if (peer.early != nullptr) {
        // A partial message can never be received: drop it from its queue.
        auto it = early.find(Key{index, peer.tag});
        if (it != early.end()) {
          std::erase(it->second, peer.early);
          if (it->second.empty()) early.erase(it);
        }
      }
      EndMessage(peer);
    }
    FailRecvsFrom(index, status, done);
  }

  void FailRecvsFrom(int index, const absl::Status& status, Done& done) {
    if (peers[index].posted == 0) return;
    for (auto it = recvs.begin(); it != recvs.end();) {
      if (it->first.first != index) {
        ++it;
        continue;
      }
      for (PendingRecv& recv : it->second) done.emplace_back(recv.request, status);
      recvs.erase(it++);
    }
    peers[index].posted = 0;
  }

  // Whether peer `index` closed its segment (a load) or, when `process`, its process exited (a
  // poll); marks it lost if so. mu held.
  void CheckPeer(int index, bool process, Done& done) {
    Peer& peer = peers[index];
    if (!peer.connected || peer.lost) return;
    if (peer.header->closed.load(std::memory_order_acquire) != 0) {
      Drain(index, done);
      char said[sizeof(peer.header->cause) + 1] = {};
      std::memcpy(said, peer.header->cause, sizeof(peer.header->cause));
      MarkLost(index,
               absl::UnavailableError(
                   absl::StrCat(Who(), ": peer rank ", index, " closed its transport: ", said)),
               done);
    } else if (process && ProcessExited(peer.pid, peer.pidfd)) {
      Drain(index, done);
      MarkLost(index,
               absl::UnavailableError(
                   absl::StrCat(Who(), ": peer rank ", index, " (pid ", peer.pid, ") exited")),
               done);
    }
  }

  // Every peer, as CheckPeer: segments on every pump, processes when `processes`. mu held.
  void CheckPeers(bool processes, Done& done) {
    for (int index = 0; index < options.size; ++index) CheckPeer(index, processes, done);
  }

  // Receives or sends still in flight. mu held.
  bool HasPending() const {
    if (!recvs.empty()) return true;
    for (const Peer& peer : peers) {
      if (!peer.sends.empty() || peer.recv != nullptr) return true;
    }
    return false;
  }

  bool Pump(Done& done) {
    if (aborted) return false;
    bool progressed = false;
    for (int index = 0; index < options.size; ++index) {
      if (index == options.rank) continue;
      progressed |= Drain(index, done);
      progressed |= PushSends(peers[index], done);
    }
    const absl::Time now = absl::Now();
    const bool processes = now >= next_liveness_check;
    if (processes) next_liveness_check = now + kLivenessPeriod;
    CheckPeers(processes, done);
    return progressed;
  }

  void Run() {
    Done done;
    while (!stop.load(std::memory_order_acquire)) {
      const uint32_t bell = header->doorbell.load(std::memory_order_acquire);
      bool progressed, waiting;
      {
        std::lock_guard<std::mutex> lock(mu);
        progressed = Pump(done);
        waiting = HasPending();
      }
      Finish(done);
      if (progressed) continue;
      header->sleeping.store(1, std::memory_order_seq_cst);
      // Spinning pays only while a request waits on us; an idle member would only take the
      // cores from the processes that have work. A request posted after this look only misses
      // the spin: the chunk or free slot it waits for rings the doorbell either way.
      if (waiting) {
        WaitWhileEquals(header->doorbell, bell, absl::Now() + kSleepSlice);
      } else {
        BlockWhileEquals(header->doorbell, bell, absl::Now() + kSleepSlice);
      }
      header->sleeping.store(0, std::memory_order_relaxed);
    }
  }

  static void Finish(Done& done) {
    for (auto& [request, status] : done) request->Complete(std::move(status));
    done.clear();
  }
};

ShmTransport::ShmTransport(std::unique_ptr<State> state) : state_(std::move(state)) {}

absl::StatusOr<std::unique_ptr<ShmTransport>> ShmTransport::Open(const ShmOptions& options) {
  if (options.size < 1 || options.rank < 0 || options.rank >= options.size) {
    return absl::InvalidArgumentError(
        absl::StrCat("shm: rank ", options.rank, " is outside a group of ", options.size));
  }
  auto state = std::make_unique<State>();
  state->options = options;
  absl::StatusOr<::ultracc::shm::SharedRegion> region = ::ultracc::shm::SharedRegion::Create(
      absl::StrCat("ultracc-shm-", options.rank), SegmentBytes(options.size));
  if (!region.ok()) return region.status();
  state->own = *std::move(region);
  state->token = HostToken();
  SegmentHeader* header = static_cast<SegmentHeader*>(state->own.base());
  header->version.store(kSegmentVersion, std::memory_order_relaxed);
  header->members.store(static_cast<uint32_t>(options.size), std::memory_order_relaxed);
  header->rank.store(static_cast<uint32_t>(options.rank), std::memory_order_relaxed);
  header->group_hash.store(Fnv1a(options.group_key), std::memory_order_relaxed);
  header->magic.store(kSegmentMagic, std::memory_order_release);
  state->header = header;
  state->peers.resize(options.size);
  State* raw = state.get();
  state->progress = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<ShmTransport>(new ShmTransport(std::move(state)));
}

ShmTransport::~ShmTransport() {
  Abort(absl::CancelledError(absl::StrCat(state_->Who(), ": the transport was closed")));
  state_->stop.store(true, std::memory_order_release);
  Notify(state_->header);
  state_->progress.join();
}

std::string ShmTransport::address() const {
  return absl::StrCat("shm:", state_->token, ":", getpid(), ":", state_->own.fd());
}

int ShmTransport::Rank() const { return state_->options.rank; }
int ShmTransport::Size() const { return state_->options.size; }

absl::Status ShmTransport::Connect(const std::vector<std::string>& addresses, absl::Time deadline) {
  (void)deadline;  // segments exist before their addresses are published: nothing to wait for
  State& s = *state_;
  if (static_cast<int>(addresses.size()) != s.options.size) {
    return absl::InvalidArgumentError(absl::StrCat(s.Who(), ": ", addresses.size(),
                                                   " addresses for a group of ", s.options.size));
  }
  const size_t bytes = SegmentBytes(s.options.size);
  for (int index = 0; index < s.options.size; ++index) {
    if (index == s.options.rank || addresses[index].empty()) continue;
    const std::string& address = addresses[index];
    absl::StatusOr<ParsedAddress> parsed = ParseAddress(address);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(s.Who(), ": peer rank ", index, ": ", parsed.status().message()));
    }
    if (parsed->host != s.token) {
      return absl::FailedPreconditionError(absl::StrCat(
          s.Who(), ": peer rank ", index, " (", address, ") is on another host (host ",
          parsed->host, ", this host ", s.token, "); shm reaches only members of one host"));
    }
    absl::StatusOr<::ultracc::shm::OwnedFd> fd = ::ultracc::shm::OpenProcessDescriptor(
        parsed->pid, parsed->fd, absl::StrCat("the segment of peer rank ", index));
    if (!fd.ok()) {
      return absl::Status(fd.status().code(), absl::StrCat(s.Who(), ": ", fd.status().message()));
    }
    absl::StatusOr<::ultracc::shm::SharedRegion> region =
        ::ultracc::shm::SharedRegion::Map(fd->Release(), bytes);
    if (!region.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          s.Who(), ": the segment of peer rank ", index, " (", address,
          ") does not fit a group of ", s.options.size, ": ", region.status().message()));
    }
    auto* header = static_cast<SegmentHeader*>(region->base());
    if (header->magic.load(std::memory_order_acquire) != kSegmentMagic ||
        header->version.load() != kSegmentVersion ||
        header->members.load() != static_cast<uint32_t>(s.options.size) ||
        header->rank.load() != static_cast<uint32_t>(index) ||
        header->group_hash.load() != s.header->group_hash.load()) {
      return absl::FailedPreconditionError(absl::StrCat(
          s.Who(), ": the segment at ", address, " is not peer rank ", index,
          " of this group (rank ", header->rank.load(), " of ", header->members.load(),
          ", version ", header->version.load(), ", same group key: ",
          header->group_hash.load() == s.header->group_hash.load() ? "yes" : "no", ")"));
    }
    const int pidfd = OpenPidFd(parsed->pid);
    Done done;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      State::Peer& peer = s.peers[index];
      peer.region = *std::move(region);
      peer.header = header;
      peer.out = RingOf(peer.region.base(), s.options.rank);
      peer.pid = parsed->pid;
      peer.pidfd = pidfd;
      peer.connected = true;
      if (!s.aborted) s.PushSends(peer, done);
    }
    State::Finish(done);
  }
  return absl::OkStatus();
}

void ShmTransport::PostSend(int peer, uint64_t tag, const void* data, size_t bytes,
                            Request* request) {
  State& s = *state_;
  if (absl::Status status = s.CheckPost("send to", peer, data == nullptr && bytes > 0);
      !status.ok()) {
    return request->Complete(std::move(status));
  }
  Done done;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    State::Peer& to = s.peers[peer];
    // A send pushed inline completes at once: it must not complete into the ring of a peer that
    // has already closed, before the progress thread noticed.
    if (!s.aborted) s.CheckPeer(peer, false, done);
    if (s.aborted) {
      done.emplace_back(request, s.cause);
    } else if (to.lost) {
      done.emplace_back(request, to.lost_status);
    } else {
      to.sends.push_back(PendingSend{.tag = tag,
                                     .data = static_cast<const unsigned char*>(data),
                                     .bytes = bytes,
                                     .request = request});
      s.PushSends(to, done);
    }
  }
  State::Finish(done);
}

void ShmTransport::PostRecv(int peer, uint64_t tag, void* data, size_t bytes, Request* request) {
  State& s = *state_;
  if (absl::Status status = s.CheckPost("receive from", peer, data == nullptr && bytes > 0);
      !status.ok()) {
    return request->Complete(std::move(status));
  }
  Done done;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    State::Peer& from = s.peers[peer];
    std::shared_ptr<Early> kept;
    if (s.aborted) {
      done.emplace_back(request, s.cause);
    } else if (PopFront(s.early, Key{peer, tag}, kept)) {
      if (kept->bytes != bytes) {
        done.emplace_back(request, s.SizeMismatch(peer, tag, kept->bytes, bytes));
        if (!kept->complete) from.dest = nullptr;  // discard the rest as it comes
        from.early = nullptr;
      } else if (kept->complete) {
        if (bytes > 0) std::memcpy(data, kept->data.get(), bytes);
        done.emplace_back(request, absl::OkStatus());
      } else {
        // Still arriving: what came so far moves over, the rest lands in place.
        if (from.received > 0) std::memcpy(data, kept->data.get(), from.received);
        from.dest = static_cast<unsigned char*>(data);
        from.recv = request;
        from.early = nullptr;
      }
    } else {
      s.recvs[Key{peer, tag}].push_back(
          PendingRecv{.data = data, .bytes = bytes, .request = request});
      ++from.posted;
      s.Drain(peer, done);
      // What the lost peer sent before it went has been matched; nothing more will come.
      if (from.lost) s.FailRecvsFrom(peer, from.lost_status, done);
    }
  }
  State::Finish(done);
}

void ShmTransport::Abort(const absl::Status& cause) {
  State& s = *state_;
  Done done;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.aborted) return;
    s.aborted = true;
    // An OK cause would make failed requests look successful.
    s.cause = cause.ok() ? absl::CancelledError(absl::StrCat(s.Who(), ": aborted")) : cause;
    for (State::Peer& peer : s.peers) {
      for (PendingSend& send : peer.sends) done.emplace_back(send.request, s.cause);
      peer.sends.clear();
      if (peer.recv != nullptr) done.emplace_back(peer.recv, s.cause);
      State::EndMessage(peer);
      peer.posted = 0;
    }
    for (auto& [key, queue] : s.recvs) {
      for (PendingRecv& recv : queue) done.emplace_back(recv.request, s.cause);
    }
    s.recvs.clear();
    s.early.clear();
    const std::string said(s.cause.message().substr(0, sizeof(s.header->cause) - 1));
    std::memcpy(s.header->cause, said.data(), said.size());
    s.header->closed.store(1, std::memory_order_release);
    for (State::Peer& peer : s.peers) {
      if (peer.connected) Notify(peer.header);
    }
  }
  State::Finish(done);
}

}  // namespace ultracc::transport::shm
