// Scratch buffers on huge pages; see huge_buffer.h.
#include "common/huge_buffer.h"

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <utility>

namespace ultracc {

HugeBuffer::~HugeBuffer() { Release(); }

HugeBuffer::HugeBuffer(HugeBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, false)) {}

HugeBuffer& HugeBuffer::operator=(HugeBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, false);
  }
  return *this;
}

void HugeBuffer::Release() {
  if (data_ == nullptr) return;
  if (mapped_) {
    munmap(data_, size_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
}

char* HugeBuffer::Reserve(size_t bytes) {
  if (bytes <= size_ && data_ != nullptr) return data_;
  Release();
  if (bytes < kHugePageBytes) {
    data_ = new char[bytes > 0 ? bytes : 1];
    size_ = bytes;
    return data_;
  }
  // Whole huge pages, so the last one is not left in small pages.
  const size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Advice only: a kernel without transparent huge pages refuses it and the pages stay small.
  (void)madvise(p, rounded, MADV_HUGEPAGE);
  data_ = static_cast<char*>(p);
  size_ = rounded;
  mapped_ = true;
  return data_;
}

HugeBufferPool& HugeBufferPool::Process() {
  static HugeBufferPool* pool = new HugeBufferPool;  // never destroyed: used until exit
  return *pool;
}

HugeBuffer HugeBufferPool::Take(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t best = buffers_.size();
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].size() >= bytes && (best == buffers_.size() ||
                                        buffers_[i].size() < buffers_[best].size())) {
      best = i;
    }
  }
  if (best == buffers_.size()) return HugeBuffer();
  HugeBuffer taken = std::move(buffers_[best]);
  buffers_.erase(buffers_.begin() + static_cast<std::ptrdiff_t>(best));
  return taken;
}

void HugeBufferPool::Give(HugeBuffer buffer) {
  if (buffer.size() < kMinBytes) return;
  std::lock_guard<std::mutex> lock(mu_);
  buffers_.push_back(std::move(buffer));
  if (buffers_.size() <= kMaxBuffers) return;
  size_t smallest = 0;
  for (size_t i = 1; i < buffers_.size(); ++i) {
    if (buffers_[i].size() < buffers_[smallest].size()) smallest = i;
  }
  buffers_.erase(buffers_.begin() + static_cast<std::ptrdiff_t>(smallest));
}

}  // namespace ultracc
