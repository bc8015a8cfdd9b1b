// Tests of runtime/shm/arena_allocator.h.
#include "runtime/shm/arena_allocator.h"

#include <cstdint>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::shm {
namespace {

using ::testing::HasSubstr;

size_t MustAllocate(ArenaAllocator& arena, size_t bytes, size_t alignment = 64) {
  absl::StatusOr<size_t> offset = arena.Allocate(bytes, alignment);
  EXPECT_TRUE(offset.ok()) << offset.status();
  return offset.ok() ? *offset : SIZE_MAX;
}

TEST(ArenaAllocatorTest, FirstFitRoundsToGranulesAndCountsBytesInUse) {
  ArenaAllocator arena(4096);
  EXPECT_EQ(MustAllocate(arena, 100), 0u);
  EXPECT_EQ(MustAllocate(arena, 64), 128u);
  EXPECT_EQ(MustAllocate(arena, 1, 8), 192u);
  EXPECT_EQ(arena.BytesInUse(), 128u + 64 + 64);
  EXPECT_EQ(arena.LargestFreeBlock(), 4096u - 256);
  ASSERT_TRUE(arena.Free(128).ok());
  // The hole at 128 is the first fit for a small request.
  EXPECT_EQ(MustAllocate(arena, 10), 128u);
}

TEST(ArenaAllocatorTest, ZeroByteAllocationsGetUniqueOffsets) {
  ArenaAllocator arena(1024);
  size_t a = MustAllocate(arena, 0);
  size_t b = MustAllocate(arena, 0);
  EXPECT_NE(a, b);
  EXPECT_EQ(arena.BytesInUse(), 2 * ArenaAllocator::kGranule);
  EXPECT_TRUE(arena.Free(a).ok());
  EXPECT_TRUE(arena.Free(b).ok());
  EXPECT_EQ(arena.BytesInUse(), 0u);
}

TEST(ArenaAllocatorTest, LargeAlignmentLeavesPaddingFree) {
  ArenaAllocator arena(16384);
  EXPECT_EQ(MustAllocate(arena, 64), 0u);
  EXPECT_EQ(MustAllocate(arena, 100, 4096), 4096u);
  // The 64..4096 gap in front of the aligned block is still usable.
  EXPECT_EQ(MustAllocate(arena, 1000), 64u);
  EXPECT_EQ(arena.BytesInUse(), 64u + 128 + 1024);
}

TEST(ArenaAllocatorTest, RejectsBadAlignment) {
  ArenaAllocator arena(1024);
  for (size_t alignment : {size_t{0}, size_t{3}, size_t{96}}) {
    absl::StatusOr<size_t> offset = arena.Allocate(64, alignment);
    EXPECT_EQ(offset.status().code(), absl::StatusCode::kInvalidArgument) << alignment;
    EXPECT_THAT(offset.status().message(), HasSubstr("not a power of two"));
  }
}

TEST(ArenaAllocatorTest, ExhaustionNamesRequestLargestBlockAndArenaSize) {
  ArenaAllocator arena(1024);
  MustAllocate(arena, 1000);
  absl::StatusOr<size_t> more = arena.Allocate(1);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(more.status().message(), HasSubstr("allocation of 1 bytes"));
  EXPECT_THAT(more.status().message(), HasSubstr("largest free block is 0 bytes"));
  EXPECT_THAT(more.status().message(), HasSubstr("1024-byte arena"));

  absl::StatusOr<size_t> huge = arena.Allocate(SIZE_MAX);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted);
  absl::StatusOr<size_t> near_max = arena.Allocate(SIZE_MAX - 10, size_t{1} << 63);
  EXPECT_EQ(near_max.status().code(), absl::StatusCode::kResourceExhausted);

  ArenaAllocator empty(0);
  EXPECT_EQ(empty.Allocate(1).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ArenaAllocatorTest, FragmentationThenCoalescingInAnyOrder) {
  ArenaAllocator arena(8 * 128);
  std::vector<size_t> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back(MustAllocate(arena, 128));
  for (int i = 0; i < 8; i += 2) ASSERT_TRUE(arena.Free(blocks[i]).ok());
  EXPECT_EQ(arena.BytesInUse(), 512u);
  EXPECT_EQ(arena.LargestFreeBlock(), 128u);
  absl::StatusOr<size_t> big = arena.Allocate(256);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(big.status().message(), HasSubstr("largest free block is 128 bytes"));

  // Freeing block 3 merges with free neighbours on both sides (2 and 4).
  ASSERT_TRUE(arena.Free(blocks[3]).ok());
  EXPECT_EQ(arena.LargestFreeBlock(), 384u);
  // Block 1 merges with 0 before it and 2..4 after it.
  ASSERT_TRUE(arena.Free(blocks[1]).ok());
  EXPECT_EQ(arena.LargestFreeBlock(), 640u);
  // Block 7 merges only backwards with 6, block 5 then joins everything.
  ASSERT_TRUE(arena.Free(blocks[7]).ok());
  ASSERT_TRUE(arena.Free(blocks[5]).ok());
  EXPECT_EQ(arena.BytesInUse(), 0u);
  EXPECT_EQ(arena.LargestFreeBlock(), 1024u);
  EXPECT_EQ(MustAllocate(arena, 1024), 0u);
}

TEST(ArenaAllocatorTest, FreeRejectsOffsetsThatAreNotBlockStarts) {
  ArenaAllocator arena(4096);
  size_t a = MustAllocate(arena, 256);
  absl::Status inside = arena.Free(a + 64);
  EXPECT_EQ(inside.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(inside.message(), HasSubstr("offset 64"));
  EXPECT_THAT(inside.message(), HasSubstr("inside the block at 0 of 256 bytes"));
  absl::Status never = arena.Free(2048);
  EXPECT_EQ(never.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(never.message(), HasSubstr("arena is 4096 bytes"));
  ASSERT_TRUE(arena.Free(a).ok());
  EXPECT_EQ(arena.Free(a).code(), absl::StatusCode::kInvalidArgument) << "double free";
  EXPECT_EQ(arena.BytesInUse(), 0u);
}

TEST(ArenaAllocatorTest, ContainsChecksRangesAgainstLiveBlocks) {
  ArenaAllocator arena(4096);
  size_t a = MustAllocate(arena, 256);
  size_t b = MustAllocate(arena, 128);
  EXPECT_TRUE(arena.Contains(a, 256));
  EXPECT_TRUE(arena.Contains(a + 100, 156));
  EXPECT_FALSE(arena.Contains(a + 100, 157)) << "spans two blocks";
  EXPECT_TRUE(arena.Contains(b, 128));
  EXPECT_FALSE(arena.Contains(b + 128, 1)) << "free space";
  EXPECT_FALSE(arena.Contains(a, SIZE_MAX)) << "must not overflow";
  ASSERT_TRUE(arena.Free(a).ok());
  EXPECT_FALSE(arena.Contains(a, 1));
}

// Random allocate/free against a model: live blocks never overlap, stay inside the arena, honour
// their alignment, and everything coalesces back into one block at the end.
TEST(ArenaAllocatorTest, RandomOperationsKeepBlocksDisjoint) {
  constexpr size_t kSize = 1 << 20;
  ArenaAllocator arena(kSize);
  std::mt19937_64 rng(1234);
  std::map<size_t, size_t> live;  // offset -> requested bytes
  for (int op = 0; op < 20000; ++op) {
    if (live.empty() || rng() % 3 != 0) {
      size_t bytes = rng() % 5000;
      size_t alignment = size_t{1} << (rng() % 13);
      absl::StatusOr<size_t> offset = arena.Allocate(bytes, alignment);
      if (!offset.ok()) {
        ASSERT_EQ(offset.status().code(), absl::StatusCode::kResourceExhausted);
        continue;
      }
      ASSERT_EQ(*offset % alignment, 0u);
      ASSERT_LE(*offset + bytes, kSize);
      auto next = live.lower_bound(*offset);
      if (next != live.end()) {
        ASSERT_LE(*offset + bytes, next->first);
      }
      if (next != live.begin()) {
        auto prev = std::prev(next);
        ASSERT_LE(prev->first + prev->second, *offset);
      }
      live.emplace(*offset, bytes);
    } else {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      ASSERT_TRUE(arena.Free(it->first).ok());
      live.erase(it);
    }
  }
  for (const auto& [offset, bytes] : live) ASSERT_TRUE(arena.Free(offset).ok());
  EXPECT_EQ(arena.BytesInUse(), 0u);
  EXPECT_EQ(arena.LargestFreeBlock(), kSize);
}

TEST(ArenaAllocatorTest, ConcurrentAllocateAndFree) {
  ArenaAllocator arena(1 << 20);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<size_t> mine;
      for (int i = 0; i < 5000; ++i) {
        if (mine.size() < 16) {
          absl::StatusOr<size_t> offset = arena.Allocate(rng() % 2000);
          if (offset.ok()) mine.push_back(*offset);
        } else {
          if (!arena.Free(mine.back()).ok()) ++failures[t];
          mine.pop_back();
        }
      }
      for (size_t offset : mine) {
        if (!arena.Free(offset).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int f : failures) EXPECT_EQ(f, 0);
  EXPECT_EQ(arena.BytesInUse(), 0u);
  EXPECT_EQ(arena.LargestFreeBlock(), size_t{1} << 20);
}

}  // namespace
}  // namespace ultracc::shm
