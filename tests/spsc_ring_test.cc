// Tests of runtime/shm/spsc_ring.h, in one process and across fork().
#include "runtime/shm/spsc_ring.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/shm/shared_region.h"
#include "runtime/shm/testing/forked_child.h"

namespace ultracc::shm {
namespace {

using ::testing::HasSubstr;

struct Record {
  uint64_t seq;
  uint64_t check;
};

Record MakeRecord(uint64_t seq) { return {seq, seq * 0x9e3779b97f4a7c15ull}; }

absl::Time In(absl::Duration d) { return absl::Now() + d; }

SharedRegion RegionFor(uint32_t capacity) {
  absl::StatusOr<SharedRegion> region =
      SharedRegion::Create("ring", SpscRing<Record>::BytesFor(capacity));
  EXPECT_TRUE(region.ok()) << region.status();
  return region.ok() ? std::move(*region) : SharedRegion();
}

TEST(SpscRingTest, BytesForCoversHeaderAndSlots) {
  EXPECT_EQ(SpscRing<Record>::BytesFor(8), sizeof(spsc_ring_internal::Header) + 8 * 16);
  EXPECT_EQ(sizeof(spsc_ring_internal::Header) % 64, 0u);
}

TEST(SpscRingTest, FifoFullEmptyAndWrapAround) {
  SharedRegion region = RegionFor(4);
  SpscRing<Record> ring = SpscRing<Record>::Init(region.base(), 4);
  EXPECT_EQ(ring.capacity(), 4u);
  Record r;
  EXPECT_FALSE(ring.TryPop(&r));
  for (uint64_t round = 0; round < 10; ++round) {
    for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(ring.TryPush(MakeRecord(round * 4 + i)));
    EXPECT_FALSE(ring.TryPush(MakeRecord(99))) << "a full ring must refuse";
    EXPECT_EQ(ring.size(), 4u);
    for (uint64_t i = 0; i < 4; ++i) {
      ASSERT_TRUE(ring.TryPop(&r));
      EXPECT_EQ(r.seq, round * 4 + i);
      EXPECT_EQ(r.check, MakeRecord(r.seq).check);
    }
    EXPECT_FALSE(ring.TryPop(&r));
  }
}

TEST(SpscRingTest, FreeRunningIndicesWrapAt32Bits) {
  SharedRegion region = RegionFor(8);
  SpscRing<Record> ring = SpscRing<Record>::Init(region.base(), 8);
  auto* header = static_cast<spsc_ring_internal::Header*>(region.base());
  header->head.store(0xfffffffd);
  header->tail.store(0xfffffffd);
  for (uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(ring.TryPush(MakeRecord(i)));
  EXPECT_FALSE(ring.TryPush(MakeRecord(8)));
  EXPECT_EQ(ring.size(), 8u);
  Record r;
  for (uint64_t i = 0; i < 8; ++i) {
    ASSERT_TRUE(ring.TryPop(&r));
    EXPECT_EQ(r.seq, i);
  }
  EXPECT_FALSE(ring.TryPop(&r));
  EXPECT_EQ(header->head.load(), 5u);
}

TEST(SpscRingTest, AttachSeesTheSameRing) {
  SharedRegion region = RegionFor(8);
  SpscRing<Record> producer = SpscRing<Record>::Init(region.base(), 8);
  absl::StatusOr<SpscRing<Record>> consumer =
      SpscRing<Record>::Attach(region.base(), region.size());
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  EXPECT_EQ(consumer->capacity(), 8u);
  ASSERT_TRUE(producer.TryPush(MakeRecord(42)));
  Record r;
  ASSERT_TRUE(consumer->TryPop(&r));
  EXPECT_EQ(r.seq, 42u);
}

TEST(SpscRingTest, AttachNamesWhatIsWrong) {
  SharedRegion region = RegionFor(8);
  auto attach = [&](size_t bytes) { return SpscRing<Record>::Attach(region.base(), bytes); };

  absl::Status unformatted = attach(region.size()).status();
  EXPECT_EQ(unformatted.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unformatted.message(), HasSubstr("magic is 0x0"));

  SpscRing<Record>::Init(region.base(), 8);
  absl::Status small = attach(region.size() - 1).status();
  EXPECT_EQ(small.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(small.message(), HasSubstr("capacity 8 needs 320 bytes, memory has 319"));

  absl::Status header_only = attach(10).status();
  EXPECT_THAT(header_only.message(), HasSubstr("smaller than the ring header"));

  absl::Status wrong_type = SpscRing<uint32_t>::Attach(region.base(), region.size()).status();
  EXPECT_EQ(wrong_type.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_type.message(), HasSubstr("records are 16 bytes, this side expects 4"));

  absl::Status misaligned =
      SpscRing<Record>::Attach(static_cast<char*>(region.base()) + 8, 256).status();
  EXPECT_THAT(misaligned.message(), HasSubstr("not 64-byte aligned"));

  auto* header = static_cast<spsc_ring_internal::Header*>(region.base());
  header->version.store(7);
  absl::Status version = attach(region.size()).status();
  EXPECT_EQ(version.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(version.message(), HasSubstr("version is 7, this side speaks 1"));
  header->version.store(spsc_ring_internal::kVersion);

  header->capacity.store(6);
  absl::Status capacity = attach(region.size()).status();
  EXPECT_THAT(capacity.message(), HasSubstr("capacity 6 is not a power of two"));
  header->capacity.store(8);

  header->head.store(100);
  absl::Status corrupt = attach(region.size()).status();
  EXPECT_EQ(corrupt.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(corrupt.message(), HasSubstr("head 100, tail 0, capacity 8"));
}

TEST(SpscRingTest, PopAndPushTimeOut) {
  SharedRegion region = RegionFor(2);
  SpscRing<Record> ring = SpscRing<Record>::Init(region.base(), 2);
  Record r;
  absl::Time start = absl::Now();
  absl::Status pop = ring.Pop(&r, In(absl::Milliseconds(100)));
  EXPECT_EQ(pop.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(pop.message(), HasSubstr("empty ring of capacity 2"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));

  ASSERT_TRUE(ring.Push(MakeRecord(0), In(absl::Seconds(1))).ok());
  ASSERT_TRUE(ring.Push(MakeRecord(1), In(absl::Seconds(1))).ok());
  start = absl::Now();
  absl::Status push = ring.Push(MakeRecord(2), In(absl::Milliseconds(100)));
  EXPECT_EQ(push.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(push.message(), HasSubstr("full ring of capacity 2"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
}

TEST(SpscRingTest, CloseDrainsThenReportsUnavailable) {
  SharedRegion region = RegionFor(8);
  SpscRing<Record> ring = SpscRing<Record>::Init(region.base(), 8);
  for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(ring.TryPush(MakeRecord(i)));
  ring.Close();
  EXPECT_TRUE(ring.closed());
  EXPECT_FALSE(ring.TryPush(MakeRecord(3)));
  absl::Status push = ring.Push(MakeRecord(3), In(absl::Seconds(1)));
  EXPECT_EQ(push.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(push.message(), HasSubstr("ring closed"));
  Record r;
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(ring.Pop(&r, In(absl::Seconds(1))).ok());
    EXPECT_EQ(r.seq, i);
  }
  EXPECT_EQ(ring.Pop(&r, In(absl::Seconds(1))).code(), absl::StatusCode::kUnavailable);
  ring.Close();  // idempotent
  EXPECT_TRUE(ring.closed());
}

TEST(SpscRingTest, CloseUnblocksBlockedPopAndPush) {
  SharedRegion region = RegionFor(1);
  SpscRing<Record> ring = SpscRing<Record>::Init(region.base(), 1);
  absl::Status pop_status;
  absl::Time start = absl::Now();
  std::thread consumer([&] {
    Record r;
    pop_status = ring.Pop(&r, In(absl::Seconds(20)));
  });
  absl::SleepFor(absl::Milliseconds(100));
  ring.Close();
  consumer.join();
  EXPECT_EQ(pop_status.code(), absl::StatusCode::kUnavailable) << pop_status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  SharedRegion region2 = RegionFor(1);
  SpscRing<Record> full = SpscRing<Record>::Init(region2.base(), 1);
  ASSERT_TRUE(full.TryPush(MakeRecord(0)));
  absl::Status push_status;
  start = absl::Now();
  std::thread producer([&] { push_status = full.Push(MakeRecord(1), In(absl::Seconds(20))); });
  absl::SleepFor(absl::Milliseconds(100));
  full.Close();
  producer.join();
  EXPECT_EQ(push_status.code(), absl::StatusCode::kUnavailable) << push_status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(SpscRingTest, ThreadsTransferInOrderUnderContention) {
  constexpr uint64_t kCount = 1'000'000;
  SharedRegion region = RegionFor(4);
  SpscRing<Record> ring = SpscRing<Record>::Init(region.base(), 4);
  absl::Status producer_status;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount && producer_status.ok(); ++i) {
      producer_status = ring.Push(MakeRecord(i), In(absl::Seconds(20)));
    }
  });
  Record r;
  uint64_t expected = 0;
  for (; expected < kCount; ++expected) {
    absl::Status s = ring.Pop(&r, In(absl::Seconds(20)));
    if (!s.ok()) {
      ADD_FAILURE() << "pop " << expected << ": " << s;
      break;
    }
    if (r.seq != expected || r.check != MakeRecord(expected).check) {
      ADD_FAILURE() << "record " << expected << " arrived as " << r.seq;
      break;
    }
  }
  if (expected != kCount) ring.Close();  // unblock the producer so join cannot hang
  producer.join();
  EXPECT_TRUE(producer_status.ok()) << producer_status;
  EXPECT_EQ(expected, kCount);
}

// A forked child produces, the parent consumes: the ring's atomics and futex waits must work
// between processes, not only between threads.
TEST(SpscRingTest, ForkedProducerDeliversMillionRecordsInOrder) {
  constexpr uint64_t kCount = 1'000'000;
  constexpr uint32_t kCapacity = 8;
  SharedRegion region = RegionFor(kCapacity);
  SpscRing<Record> consumer = SpscRing<Record>::Init(region.base(), kCapacity);
  absl::StatusOr<testing::ForkedChild> child = testing::ForkedChild::Start([&] {
    absl::StatusOr<SpscRing<Record>> producer =
        SpscRing<Record>::Attach(region.base(), region.size());
    if (!producer.ok()) return 10;
    for (uint64_t i = 0; i < kCount; ++i) {
      absl::Status s = producer->Push(MakeRecord(i), In(absl::Seconds(30)));
      if (!s.ok()) {
        std::fprintf(stderr, "child push %llu: %s\n", static_cast<unsigned long long>(i),
                     s.ToString().c_str());
        return 11;
      }
    }
    producer->Close();  // tells the parent the stream is complete
    return 0;
  });
  ASSERT_TRUE(child.ok()) << child.status();

  Record r;
  uint64_t received = 0;
  absl::Status s;
  while ((s = consumer.Pop(&r, In(absl::Seconds(30)))).ok()) {
    if (r.seq != received || r.check != MakeRecord(received).check) {
      ADD_FAILURE() << "record " << received << " arrived as " << r.seq;
      break;
    }
    ++received;
  }
  if (!s.ok()) {
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  }
  consumer.Close();  // unblocks the child if the parent stopped early
  EXPECT_EQ(received, kCount);
  absl::StatusOr<int> exit_code = child->Wait(In(absl::Seconds(30)));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
}

TEST(SpscRingTest, CloseFromParentUnblocksPopInForkedChild) {
  SharedRegion region = RegionFor(4);
  SpscRing<Record> ring = SpscRing<Record>::Init(region.base(), 4);
  absl::StatusOr<testing::ForkedChild> child = testing::ForkedChild::Start([&] {
    Record r;
    absl::Status s = ring.Pop(&r, In(absl::Seconds(20)));
    return s.code() == absl::StatusCode::kUnavailable ? 0 : 20 + static_cast<int>(s.code());
  });
  ASSERT_TRUE(child.ok()) << child.status();
  absl::SleepFor(absl::Milliseconds(200));  // let the child reach its futex wait
  absl::Time start = absl::Now();
  ring.Close();
  absl::StatusOr<int> exit_code = child->Wait(In(absl::Seconds(10)));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace ultracc::shm
