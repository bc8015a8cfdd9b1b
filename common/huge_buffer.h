// A growable scratch buffer of anonymous memory that asks for transparent huge pages once it is
// large. Engines' workspaces are tens of megabytes, touched first by a copy; in 4 KiB pages each
// first touch is a fault, and on virtual machines those faults cost more than the copy itself. With
// huge pages (the kernel's "madvise" mode, Debian's default) one fault maps 2 MiB. Where the kernel
// offers none, the buffer is ordinary memory.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace ultracc {

// The size of a transparent huge page on x86-64: buffers this large are mapped to use them.
inline constexpr size_t kHugePageBytes = size_t{2} << 20;

class HugeBuffer {
 public:
  HugeBuffer() = default;
  ~HugeBuffer();
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  // The moved-from buffer is empty.
  HugeBuffer(HugeBuffer&& other) noexcept;
  HugeBuffer& operator=(HugeBuffer&& other) noexcept;

  // At least `bytes` bytes, keeping the buffer when it is large enough (its contents then stay; a
  // grown buffer's do not). Throws std::bad_alloc when memory runs out, as new[] does.
  char* Reserve(size_t bytes);
  char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Release();

  char* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;  // mmap'd (munmap to free) rather than new[]
};

// Large buffers handed back by their users for others of the process to take: communicators of one
// process (thread-ranks, split or per-algorithm communicators) run their collectives mostly one
// after another, so one set of workspaces serves them all instead of each faulting in its own.
class HugeBufferPool {
 public:
  // Buffers of at least this size are worth pooling.
  static constexpr size_t kMinBytes = kHugePageBytes;
  static HugeBufferPool& Process();

  // The smallest pooled buffer of at least `bytes`, else an empty one (Reserve allocates).
  HugeBuffer Take(size_t bytes);
  // Keeps `buffer` for a later Take when it is large enough (the smallest go when too many).
  void Give(HugeBuffer buffer);

 private:
  static constexpr size_t kMaxBuffers = 32;
  std::mutex mu_;
  std::vector<HugeBuffer> buffers_;
};

}  // namespace ultracc
