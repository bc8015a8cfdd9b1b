// BlockCache: large blocks come back for allocations of about their size, small ones and blocks
// past the capacity go to the heap, and the waiting total never exceeds the capacity.
#include "runtime/client/block_cache.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ultracc::client {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

TEST(BlockCacheTest, FreedLargeBlockServesTheNextAllocationOfItsSize) {
  BlockCache cache(kMiB, 64 * kMiB);
  void* a = *cache.Allocate(4 * kMiB);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 1, 4 * kMiB);
  cache.Free(a);
  EXPECT_EQ(cache.waiting_bytes(), 4 * kMiB);
  void* b = *cache.Allocate(4 * kMiB - 100);  // a little smaller still fits
  EXPECT_EQ(b, a);
  EXPECT_EQ(cache.waiting_bytes(), 0u);
  cache.Free(b);
}

TEST(BlockCacheTest, BlockMoreThanTwiceTheRequestIsNotHandedOut) {
  BlockCache cache(kMiB, 64 * kMiB);
  void* big = *cache.Allocate(16 * kMiB);
  cache.Free(big);
  void* small = *cache.Allocate(2 * kMiB);
  EXPECT_NE(small, big);
  EXPECT_EQ(cache.waiting_bytes(), 16 * kMiB);
  cache.Free(small);
}

TEST(BlockCacheTest, SmallBlocksAreNotKept) {
  BlockCache cache(kMiB, 64 * kMiB);
  void* p = *cache.Allocate(1000);
  ASSERT_NE(p, nullptr);
  cache.Free(p);
  EXPECT_EQ(cache.waiting_bytes(), 0u);
  void* zero = *cache.Allocate(0);
  ASSERT_NE(zero, nullptr);
  cache.Free(zero);
  cache.Free(nullptr);
}

TEST(BlockCacheTest, WaitingBytesStayWithinCapacity) {
  BlockCache cache(kMiB, 10 * kMiB);
  std::vector<void*> blocks;
  for (int i = 0; i < 6; ++i) blocks.push_back(*cache.Allocate(3 * kMiB));
  for (void* p : blocks) {
    cache.Free(p);
    EXPECT_LE(cache.waiting_bytes(), 10 * kMiB);
  }
  EXPECT_EQ(cache.waiting_bytes(), 9 * kMiB);
  void* huge = *cache.Allocate(20 * kMiB);  // beyond the capacity: freed, not kept
  cache.Free(huge);
  EXPECT_EQ(cache.waiting_bytes(), 9 * kMiB);
}

TEST(BlockCacheTest, ThreadsAllocatingAndFreeingNeverShareABlock) {
  BlockCache cache(kMiB, 32 * kMiB);
  std::vector<std::thread> threads;
  std::atomic<int> overlaps{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const size_t bytes = (1 + (i + t) % 3) * kMiB;
        auto* p = static_cast<unsigned char*>(*cache.Allocate(bytes));
        std::memset(p, t + 1, bytes);
        for (size_t k = 0; k < bytes; k += 4096) {
          if (p[k] != t + 1) ++overlaps;
        }
        cache.Free(p);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_LE(cache.waiting_bytes(), 32 * kMiB);
}

}  // namespace
}  // namespace ultracc::client
