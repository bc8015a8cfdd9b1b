// The node's call board; see node_board.h.
#include "runtime/submission/node_board.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/completion.h"

namespace ultracc::submission {
namespace {

constexpr uint32_t kMagic = 0x5542524e;  // "UBRN"
constexpr uint32_t kVersion = 3;
constexpr size_t kCacheLine = 64;
constexpr size_t kFailureBytes = 512;
// Waiting: a short spin for peers already running, then yields so that peers waiting for a core
// get it, then sleep. Sleeps are sliced so a missed wake costs little.
constexpr int kSpins = 32;
constexpr int kYields = 1000;
constexpr absl::Duration kSleepSlice = absl::Milliseconds(20);

constexpr uint32_t kNotFailed = 0, kFailing = 1, kFailed = 2;

static_assert(std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<uint64_t>::is_always_lock_free,
              "the board is shared between processes and needs address-free atomics");

}  // namespace

struct alignas(kCacheLine) NodeBoard::Header {
  std::atomic<uint32_t> magic;
  std::atomic<uint32_t> version;
  std::atomic<uint32_t> ranks;
  std::atomic<uint32_t> payload_bytes;
  // Bumped by every post, failure and ring; sleepers wait on it.
  alignas(kCacheLine) std::atomic<uint32_t> bell;
  std::atomic<uint32_t> sleepers;
  alignas(kCacheLine) std::atomic<uint32_t> failed;
  char failure[kFailureBytes];
};

struct alignas(kCacheLine) NodeBoard::Slot {
  std::atomic<uint64_t> sequence;  // the collective this slot holds; written last
  BoardCall call;
  uint64_t input_bytes;
  alignas(kCacheLine) uint64_t send_offset;
  uint64_t recv_offset;
  uint64_t reachable;
  std::atomic<uint64_t> finished;  // the last collective of this slot its rank finished
  int64_t posted_ns;               // when (Unix time) for status reports
};

namespace {
// A slot: its header lines, then its input.
constexpr size_t kSlotHeaderBytes = 2 * kCacheLine;
constexpr size_t SlotStride() { return kSlotHeaderBytes + NodeBoard::kPayloadBytes; }
}  // namespace

size_t NodeBoard::Bytes(int ranks) {
  static_assert(sizeof(Slot) == kSlotHeaderBytes, "a slot's header is two cache lines");
  return sizeof(Header) + 2 * static_cast<size_t>(ranks) * SlotStride();
}

NodeBoard NodeBoard::Init(void* base, int ranks) {
  char* p = static_cast<char*>(base);
  Header* h = new (p) Header();
  h->version.store(kVersion, std::memory_order_relaxed);
  h->ranks.store(static_cast<uint32_t>(ranks), std::memory_order_relaxed);
  h->payload_bytes.store(static_cast<uint32_t>(kPayloadBytes), std::memory_order_relaxed);
  NodeBoard board(p, ranks);
  for (int r = 0; r < ranks; ++r) {
    for (uint64_t parity = 0; parity < 2; ++parity) new (board.slot(r, parity)) Slot();
  }
  h->magic.store(kMagic, std::memory_order_release);
  return board;
}

absl::StatusOr<NodeBoard> NodeBoard::Attach(void* base, size_t bytes) {
  if (bytes < sizeof(Header)) {
    return absl::InvalidArgumentError(absl::StrCat("call board of ", bytes, " bytes is too small"));
  }
  const Header* h = static_cast<const Header*>(base);
  if (h->magic.load(std::memory_order_acquire) != kMagic ||
      h->version.load(std::memory_order_relaxed) != kVersion ||
      h->payload_bytes.load(std::memory_order_relaxed) != kPayloadBytes) {
    return absl::InvalidArgumentError("the node daemon's call board has another layout");
  }
  const int ranks = static_cast<int>(h->ranks.load(std::memory_order_relaxed));
  if (ranks < 1 || bytes < Bytes(ranks)) {
    return absl::InvalidArgumentError(
        absl::StrCat("call board of ", bytes, " bytes cannot hold ", ranks, " ranks"));
  }
  return NodeBoard(static_cast<char*>(base), ranks);
}

NodeBoard::Header* NodeBoard::header() const { return reinterpret_cast<Header*>(base_); }

NodeBoard::Slot* NodeBoard::slot(int rank, uint64_t sequence) const {
  const size_t index = 2 * static_cast<size_t>(rank) + (sequence & 1);
  return reinterpret_cast<Slot*>(base_ + sizeof(Header) + index * SlotStride());
}

void NodeBoard::Post(int rank, uint64_t sequence, const BoardCall& call, const void* input,
                     size_t input_bytes, const BoardBuffers& buffers) {
  Slot* s = slot(rank, sequence);
  s->call = call;
  s->input_bytes = input_bytes;
  s->send_offset = buffers.send_offset;
  s->recv_offset = buffers.recv_offset;
  s->reachable = buffers.reachable ? 1 : 0;
  s->posted_ns = absl::ToUnixNanos(absl::Now());
  if (input_bytes > 0)
    std::memcpy(reinterpret_cast<char*>(s) + kSlotHeaderBytes, input, input_bytes);
  s->sequence.store(sequence, std::memory_order_release);
  Ring();
}

void NodeBoard::Ring() {
  Header* h = header();
  // Sequentially consistent with the sleeper's count-then-check, so that either the poster sees
  // the sleeper or the sleeper sees the new bell.
  h->bell.fetch_add(1, std::memory_order_seq_cst);
  if (h->sleepers.load(std::memory_order_seq_cst) > 0) WakeAll(h->bell);
}

uint64_t NodeBoard::Mark(int rank, uint64_t sequence, bool finished) const {
  const Slot* s = slot(rank, sequence);
  return (finished ? s->finished : s->sequence).load(std::memory_order_acquire);
}

bool NodeBoard::AllReached(uint64_t sequence, bool finished) const {
  for (int r = 0; r < ranks_; ++r) {
    if (Mark(r, sequence, finished) != sequence) return false;
  }
  return true;
}

void NodeBoard::Finish(int rank, uint64_t sequence) {
  slot(rank, sequence)->finished.store(sequence, std::memory_order_release);
  Ring();
}

absl::Status NodeBoard::AwaitAll(uint64_t sequence, absl::Time until,
                                 const std::atomic<bool>* cancelled) const {
  return Await(sequence, false, until, cancelled);
}

absl::Status NodeBoard::AwaitFinished(uint64_t sequence, absl::Time until,
                                      const std::atomic<bool>* cancelled) const {
  return Await(sequence, true, until, cancelled);
}

absl::Status NodeBoard::Failure() const {
  if (header()->failed.load(std::memory_order_acquire) != kFailed) return absl::OkStatus();
  return absl::UnavailableError(header()->failure);
}

absl::Status NodeBoard::Await(uint64_t sequence, bool finished, absl::Time until,
                              const std::atomic<bool>* cancelled) const {
  Header* h = header();
  int spins = 0;
  while (true) {
    const uint32_t bell = h->bell.load(std::memory_order_seq_cst);
    if (AllReached(sequence, finished)) return absl::OkStatus();
    if (absl::Status f = Failure(); !f.ok()) return f;
    if (cancelled != nullptr && cancelled->load(std::memory_order_acquire)) {
      return absl::CancelledError("the communicator was aborted");
    }
    if (spins < kSpins) {
      ++spins;
      CpuRelax();
      continue;
    }
    const absl::Time now = absl::Now();
    if (now >= until) return absl::DeadlineExceededError("the call board's wait ended");
    if (spins < kSpins + kYields) {
      ++spins;
      std::this_thread::yield();
      continue;
    }
    h->sleepers.fetch_add(1, std::memory_order_seq_cst);
    BlockWhileEquals(h->bell, bell, std::min(until, now + kSleepSlice));
    h->sleepers.fetch_sub(1, std::memory_order_seq_cst);
  }
}

BoardCall NodeBoard::CallOf(int rank, uint64_t sequence) const {
  return slot(rank, sequence)->call;
}

BoardBuffers NodeBoard::BuffersOf(int rank, uint64_t sequence) const {
  const Slot* s = slot(rank, sequence);
  return {
      .reachable = s->reachable != 0, .send_offset = s->send_offset, .recv_offset = s->recv_offset};
}

const char* NodeBoard::InputOf(int rank, uint64_t sequence) const {
  return reinterpret_cast<const char*>(slot(rank, sequence)) + kSlotHeaderBytes;
}

std::string NodeBoard::Missing(uint64_t sequence, bool finished, int node_ranks) const {
  std::vector<std::string> missing;
  for (int r = 0; r < ranks_; ++r) {
    if (Mark(r, sequence, finished) < sequence) {
      missing.push_back(node_ranks > 0 ? absl::StrCat(r, " (node ", r / node_ranks, ")")
                                       : absl::StrCat(r));
    }
  }
  return absl::StrJoin(missing, ", rank ");
}

BoardPost NodeBoard::LastPost(int rank) const {
  BoardPost post;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const uint64_t even = slot(rank, 0)->sequence.load(std::memory_order_acquire);
    const uint64_t odd = slot(rank, 1)->sequence.load(std::memory_order_acquire);
    const uint64_t newest = std::max(even, odd);
    if (newest == 0) return post;
    const Slot* s = slot(rank, newest);
    post.sequence = newest;
    post.call = s->call;
    post.posted = absl::FromUnixNanos(s->posted_ns);
    // The rank rewrites this slot (for newest + 2) only after posting newest + 1 in the other one:
    // while neither moved on, the fields read belong to `newest`.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (std::max(slot(rank, 0)->sequence.load(std::memory_order_relaxed),
                 slot(rank, 1)->sequence.load(std::memory_order_relaxed)) == newest) {
      break;
    }
  }
  return post;
}

void NodeBoard::Fail(const absl::Status& cause) {
  Header* h = header();
  uint32_t expected = kNotFailed;
  if (!h->failed.compare_exchange_strong(expected, kFailing, std::memory_order_acq_rel)) return;
  const std::string text(cause.message());
  const size_t n = std::min(text.size(), kFailureBytes - 1);
  std::memcpy(h->failure, text.data(), n);
  h->failure[n] = '\0';
  h->failed.store(kFailed, std::memory_order_release);
  Ring();
}

}  // namespace ultracc::submission
