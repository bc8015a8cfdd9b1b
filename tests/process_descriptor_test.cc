// Tests of runtime/shm/process_descriptor.h: another process's memfd opened through /proc is the
// same memory; failures name what was opened; owned descriptors close once.
#include "runtime/shm/process_descriptor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/shm/shared_region.h"

namespace ultracc::shm {
namespace {

using ::testing::HasSubstr;

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST(ProcessDescriptorTest, OpensTheSameMemoryThroughProc) {
  auto region = SharedRegion::Create("probe", 4096);
  ASSERT_TRUE(region.ok()) << region.status();
  std::memcpy(region->base(), "shared", 7);
  absl::StatusOr<OwnedFd> fd = OpenProcessDescriptor(getpid(), region->fd(), "the probe");
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_NE(fd->get(), region->fd());
  auto again = SharedRegion::Map(fd->Release(), 4096);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_STREQ(static_cast<const char*>(again->base()), "shared");
  static_cast<char*>(again->base())[0] = 'S';
  EXPECT_EQ(static_cast<const char*>(region->base())[0], 'S');
}

TEST(ProcessDescriptorTest, FailuresNameWhatAndWhere) {
  absl::StatusOr<OwnedFd> closed = OpenProcessDescriptor(getpid(), 1 << 20, "the board");
  ASSERT_FALSE(closed.ok());
  EXPECT_THAT(closed.status().message(), HasSubstr("cannot open the board at /proc/"));
  EXPECT_THAT(closed.status().message(), HasSubstr("/fd/1048576"));
  absl::StatusOr<OwnedFd> no_process = OpenProcessDescriptor(0, 3, "an arena");
  ASSERT_FALSE(no_process.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(no_process.status())) << no_process.status();
  EXPECT_FALSE(Duplicate(-1, "nothing").ok());
}

TEST(ProcessDescriptorTest, AnOwnedDescriptorClosesOnceWhereverItMoves) {
  absl::StatusOr<OwnedFd> copy = Duplicate(STDIN_FILENO, "stdin");
  ASSERT_TRUE(copy.ok()) << copy.status();
  const int fd = copy->get();
  EXPECT_TRUE(IsOpen(fd));
  {
    OwnedFd moved = std::move(*copy);
    EXPECT_EQ(copy->get(), -1);
    OwnedFd assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned.get(), fd);
    EXPECT_TRUE(IsOpen(fd));
  }
  EXPECT_FALSE(IsOpen(fd));
}

}  // namespace
}  // namespace ultracc::shm
