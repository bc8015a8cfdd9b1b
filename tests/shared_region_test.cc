// Tests of runtime/shm/shared_region.h.
#include "runtime/shm/shared_region.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::shm {
namespace {

using ::testing::HasSubstr;

constexpr size_t kPage = 4096;

TEST(SharedRegionTest, CreateGivesZeroedWritableMemoryAndCloexecFd) {
  absl::StatusOr<SharedRegion> region = SharedRegion::Create("create", 3 * kPage);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_NE(region->base(), nullptr);
  EXPECT_EQ(region->size(), 3 * kPage);
  ASSERT_GE(region->fd(), 0);
  EXPECT_TRUE(fcntl(region->fd(), F_GETFD) & FD_CLOEXEC);
  auto* bytes = static_cast<unsigned char*>(region->base());
  for (size_t i = 0; i < region->size(); i += 512) EXPECT_EQ(bytes[i], 0) << i;
  std::memset(bytes, 0xab, region->size());
  EXPECT_EQ(bytes[region->size() - 1], 0xab);
}

TEST(SharedRegionTest, SecondMappingOfSameFdSeesWritesBothWays) {
  absl::StatusOr<SharedRegion> first = SharedRegion::Create("two-mappings", 2 * kPage);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<SharedRegion> second = SharedRegion::Map(dup(first->fd()), first->size());
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_NE(first->base(), second->base());

  std::strcpy(static_cast<char*>(first->base()) + kPage, "written through the first mapping");
  EXPECT_STREQ(static_cast<char*>(second->base()) + kPage, "written through the first mapping");
  std::strcpy(static_cast<char*>(second->base()), "and back");
  EXPECT_STREQ(static_cast<char*>(first->base()), "and back");
}

TEST(SharedRegionTest, MappingOutlivesTheCreator) {
  absl::StatusOr<SharedRegion> first = SharedRegion::Create("outlive", kPage);
  ASSERT_TRUE(first.ok()) << first.status();
  std::strcpy(static_cast<char*>(first->base()), "still here");
  absl::StatusOr<SharedRegion> second = SharedRegion::Map(dup(first->fd()), kPage);
  ASSERT_TRUE(second.ok()) << second.status();
  *first = SharedRegion();
  EXPECT_STREQ(static_cast<char*>(second->base()), "still here");
}

TEST(SharedRegionTest, LargeRegionIsSparse) {
  constexpr size_t kEightGiB = size_t{8} << 30;
  absl::StatusOr<SharedRegion> region = SharedRegion::Create("sparse-8g", kEightGiB);
  ASSERT_TRUE(region.ok()) << region.status();
  auto* bytes = static_cast<unsigned char*>(region->base());
  bytes[0] = 1;
  bytes[kEightGiB - 1] = 2;
  struct stat st;
  ASSERT_EQ(fstat(region->fd(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), kEightGiB);
  // Two touched pages (plus possibly a huge page each) must be all that is allocated.
  EXPECT_LT(static_cast<size_t>(st.st_blocks) * 512, size_t{8} << 20);
}

TEST(SharedRegionTest, ZeroBytesIsRejected) {
  absl::StatusOr<SharedRegion> region = SharedRegion::Create("empty", 0);
  EXPECT_EQ(region.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(region.status().message(), HasSubstr("'empty'"));
}

TEST(SharedRegionTest, MapRejectsFileShorterThanRequestAndClosesFd) {
  absl::StatusOr<SharedRegion> region = SharedRegion::Create("short", kPage);
  ASSERT_TRUE(region.ok()) << region.status();
  int fd = dup(region->fd());
  absl::StatusOr<SharedRegion> mapped = SharedRegion::Map(fd, 2 * kPage);
  EXPECT_EQ(mapped.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mapped.status().message(), HasSubstr("holds 4096 bytes"));
  EXPECT_THAT(mapped.status().message(), HasSubstr("8192"));
  EXPECT_EQ(fcntl(fd, F_GETFD), -1) << "Map must take ownership of the fd even on failure";
}

TEST(SharedRegionTest, MapRejectsInvalidFd) {
  absl::StatusOr<SharedRegion> mapped = SharedRegion::Map(-1, kPage);
  EXPECT_EQ(mapped.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mapped.status().message(), HasSubstr("fd -1"));
}

TEST(SharedRegionTest, ImpossibleSizeErrorNamesSizeAndErrnoText) {
  // 2^60 bytes pass ftruncate on tmpfs but no address space can map them.
  constexpr size_t kHuge = size_t{1} << 60;
  absl::StatusOr<SharedRegion> region = SharedRegion::Create("huge", kHuge);
  ASSERT_FALSE(region.ok());
  EXPECT_THAT(region.status().message(), HasSubstr("1152921504606846976 bytes"));
  EXPECT_THAT(region.status().message(), HasSubstr("Cannot allocate memory"));
}

TEST(SharedRegionTest, MoveTransfersOwnershipAndDestructorClosesFd) {
  absl::StatusOr<SharedRegion> region = SharedRegion::Create("move", kPage);
  ASSERT_TRUE(region.ok()) << region.status();
  int fd = region->fd();
  void* base = region->base();
  SharedRegion moved = std::move(*region);
  EXPECT_EQ(region->base(), nullptr);
  EXPECT_EQ(region->fd(), -1);
  EXPECT_EQ(region->size(), 0u);
  EXPECT_EQ(moved.base(), base);
  EXPECT_EQ(moved.fd(), fd);
  { SharedRegion sink = std::move(moved); }
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
}

}  // namespace
}  // namespace ultracc::shm
