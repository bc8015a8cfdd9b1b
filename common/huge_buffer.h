// A growable scratch buffer of anonymous memory that asks for transparent huge pages once it is
// large. Engines' workspaces are tens of megabytes, touched first by a copy; in 4 KiB pages each
// first touch is a fault, and on virtual machines those faults cost more than the copy itself. With
// huge pages (the kernel's "madvise" mode, Debian's default) one fault maps 2 MiB. Where the kernel
// offers none, the buffer is ordinary memory.
#pragma once

#include <cstddef>

namespace ultracc {

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

}  // namespace ultracc
