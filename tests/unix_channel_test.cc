// Tests of runtime/shm/unix_channel.h, including fd passing to a fork()ed child.
#include "runtime/shm/unix_channel.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/shm/shared_region.h"
#include "runtime/shm/testing/forked_child.h"

namespace ultracc::shm {
namespace {

using ::testing::HasSubstr;

// Abstract names are machine-wide (per network namespace) and other test runs share the machine.
std::string UniqueName() {
  static std::atomic<int> counter{0};
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return absl::StrCat("ultracc-test-", getpid(), "-", counter++, "-", test->name());
}

absl::Time In(absl::Duration d) { return absl::Now() + d; }

struct Pair {
  UnixListener listener;
  UnixChannel client;
  UnixChannel server;
};

Pair Connected() {
  Pair p;
  std::string name = UniqueName();
  absl::StatusOr<UnixListener> listener = UnixListener::Listen(name);
  EXPECT_TRUE(listener.ok()) << listener.status();
  if (!listener.ok()) return p;
  p.listener = std::move(*listener);
  absl::StatusOr<UnixChannel> client = UnixChannel::Connect(name, In(absl::Seconds(5)));
  EXPECT_TRUE(client.ok()) << client.status();
  absl::StatusOr<UnixChannel> server = p.listener.Accept(In(absl::Seconds(5)));
  EXPECT_TRUE(server.ok()) << server.status();
  if (client.ok()) p.client = std::move(*client);
  if (server.ok()) p.server = std::move(*server);
  return p;
}

TEST(UnixChannelTest, RoundTripKeepsMessageBoundariesAndReportsPeerPid) {
  Pair p = Connected();
  ASSERT_TRUE(p.client.Send("hello").ok());
  ASSERT_TRUE(p.client.Send("x").ok());
  absl::StatusOr<Message> first = p.server.Recv(In(absl::Seconds(5)));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->bytes, "hello");
  EXPECT_TRUE(first->fds.empty());
  absl::StatusOr<Message> second = p.server.Recv(In(absl::Seconds(5)));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->bytes, "x");

  ASSERT_TRUE(p.server.Send("reply").ok());
  absl::StatusOr<Message> reply = p.client.Recv(In(absl::Seconds(5)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->bytes, "reply");

  absl::StatusOr<pid_t> peer = p.server.PeerPid();
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(*peer, getpid());
  EXPECT_TRUE(fcntl(p.client.fd(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(fcntl(p.server.fd(), F_GETFD) & FD_CLOEXEC);
}

TEST(UnixChannelTest, LargestMessageFitsAndLargerOrEmptyAreRejected) {
  Pair p = Connected();
  std::string big(UnixChannel::kMaxMessageBytes, 'q');
  big[12345] = 'z';
  ASSERT_TRUE(p.client.Send(big).ok());
  absl::StatusOr<Message> got = p.server.Recv(In(absl::Seconds(5)));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->bytes, big);

  absl::Status too_big = p.client.Send(std::string(UnixChannel::kMaxMessageBytes + 1, 'q'));
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.message(), HasSubstr("65537 bytes"));
  EXPECT_EQ(p.client.Send("").code(), absl::StatusCode::kInvalidArgument);
}

TEST(UnixChannelTest, PassesFdsThatStayUsableAndCloseOnExec) {
  Pair p = Connected();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_TRUE(p.client.Send("pipe", {pipe_fds[1]}).ok());
  close(pipe_fds[1]);  // the sender keeps ownership; the receiver got its own copy
  absl::StatusOr<Message> got = p.server.Recv(In(absl::Seconds(5)));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->fds.size(), 1u);
  int received = got->fds[0];
  EXPECT_TRUE(fcntl(received, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(write(received, "ok", 2), 2);
  close(received);
  char buf[3] = {};
  ASSERT_EQ(read(pipe_fds[0], buf, 2), 2);
  EXPECT_STREQ(buf, "ok");
  close(pipe_fds[0]);
}

TEST(UnixChannelTest, TooManyFdsAreRejected) {
  Pair p = Connected();
  std::vector<int> fds(UnixChannel::kMaxFdsPerMessage + 1, 0);
  absl::Status s = p.client.Send("fds", fds);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat(UnixChannel::kMaxFdsPerMessage + 1, " fds")));
}

TEST(UnixChannelTest, ConnectRetriesUntilListenerAppears) {
  std::string name = UniqueName();
  absl::StatusOr<UnixChannel> client = absl::UnknownError("not run");
  std::thread connector([&] { client = UnixChannel::Connect(name, In(absl::Seconds(10))); });
  absl::SleepFor(absl::Milliseconds(200));
  absl::StatusOr<UnixListener> listener = UnixListener::Listen(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<UnixChannel> server = listener->Accept(In(absl::Seconds(10)));
  connector.join();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(client->Send("late").ok());
  absl::StatusOr<Message> got = server->Recv(In(absl::Seconds(5)));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->bytes, "late");
}

TEST(UnixChannelTest, ConnectWithoutListenerTimesOutNamingTheSocket) {
  std::string name = UniqueName();
  absl::Time start = absl::Now();
  absl::StatusOr<UnixChannel> client = UnixChannel::Connect(name, In(absl::Milliseconds(200)));
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(client.status().message(), HasSubstr("'@" + name + "'"));
  EXPECT_THAT(client.status().message(), HasSubstr("Connection refused"));
  EXPECT_GE(took, absl::Milliseconds(190));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST(UnixChannelTest, AcceptAndRecvTimeOut) {
  Pair p = Connected();
  absl::Time start = absl::Now();
  absl::StatusOr<UnixChannel> none = p.listener.Accept(In(absl::Milliseconds(100)));
  EXPECT_EQ(none.status().code(), absl::StatusCode::kDeadlineExceeded);
  absl::StatusOr<Message> nothing = p.server.Recv(In(absl::Milliseconds(100)));
  EXPECT_EQ(nothing.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(nothing.status().message(), HasSubstr("a message on unix socket"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  // A deadline in the past polls once rather than failing outright.
  ASSERT_TRUE(p.client.Send("ready").ok());
  absl::StatusOr<Message> ready = p.server.Recv(absl::InfinitePast());
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->bytes, "ready");
}

TEST(UnixChannelTest, PeerCloseIsUnavailableAfterPendingMessages) {
  Pair p = Connected();
  ASSERT_TRUE(p.client.Send("last words").ok());
  p.client = UnixChannel();
  absl::StatusOr<Message> last = p.server.Recv(In(absl::Seconds(5)));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->bytes, "last words");
  absl::StatusOr<Message> closed = p.server.Recv(In(absl::Seconds(5)));
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(closed.status().message(), HasSubstr("closed by peer"));
  absl::Status send = p.server.Send("anyone?");
  EXPECT_EQ(send.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(send.message(), HasSubstr("closed by peer"));
}

TEST(UnixChannelTest, NameIsExclusiveAndFreedWhenListenerCloses) {
  std::string name = UniqueName();
  {
    absl::StatusOr<UnixListener> first = UnixListener::Listen(name);
    ASSERT_TRUE(first.ok()) << first.status();
    absl::StatusOr<UnixListener> second = UnixListener::Listen(name);
    EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_THAT(second.status().message(), HasSubstr(name));
  }
  absl::StatusOr<UnixListener> again = UnixListener::Listen(name);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST(UnixChannelTest, BadNamesAreRejected) {
  EXPECT_EQ(UnixListener::Listen("").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<UnixListener> long_name = UnixListener::Listen(std::string(108, 'n'));
  EXPECT_EQ(long_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(long_name.status().message(), HasSubstr("108 bytes"));
  EXPECT_EQ(UnixChannel::Connect("", absl::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The daemon-mode handshake in miniature: the parent plays ultraccd and hands its arena's memfd
// to a real child process, which maps it, writes, and reports back.
TEST(UnixChannelTest, ForkedChildMapsPassedRegionAndParentSeesItsWrites) {
  constexpr size_t kBytes = 1 << 20;
  std::string name = UniqueName();
  absl::StatusOr<UnixListener> listener = UnixListener::Listen(name);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<SharedRegion> region = SharedRegion::Create("passed-arena", kBytes);
  ASSERT_TRUE(region.ok()) << region.status();

  absl::StatusOr<testing::ForkedChild> child = testing::ForkedChild::Start([&] {
    auto fail = [](int code, const absl::Status& s) {
      std::fprintf(stderr, "child step %d: %s\n", code, s.ToString().c_str());
      return code;
    };
    absl::StatusOr<UnixChannel> channel = UnixChannel::Connect(name, In(absl::Seconds(10)));
    if (!channel.ok()) return fail(10, channel.status());
    absl::StatusOr<Message> offer = channel->Recv(In(absl::Seconds(10)));
    if (!offer.ok()) return fail(11, offer.status());
    if (offer->bytes != "arena" || offer->fds.size() != 1) return fail(12, absl::OkStatus());
    absl::StatusOr<SharedRegion> mapped = SharedRegion::Map(offer->fds[0], kBytes);
    if (!mapped.ok()) return fail(13, mapped.status());
    auto* bytes = static_cast<unsigned char*>(mapped->base());
    for (size_t i = 0; i < kBytes; i += 4096) bytes[i] = static_cast<unsigned char>(i / 4096);
    std::strcpy(reinterpret_cast<char*>(bytes) + 1, "from the child");
    absl::Status done = channel->Send("done");
    if (!done.ok()) return fail(14, done);
    return 0;
  });
  ASSERT_TRUE(child.ok()) << child.status();

  absl::StatusOr<UnixChannel> channel = listener->Accept(In(absl::Seconds(10)));
  ASSERT_TRUE(channel.ok()) << channel.status();
  absl::StatusOr<pid_t> peer = channel->PeerPid();
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(*peer, child->pid());
  ASSERT_TRUE(channel->Send("arena", {region->fd()}).ok());
  absl::StatusOr<Message> done = channel->Recv(In(absl::Seconds(10)));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->bytes, "done");

  auto* bytes = static_cast<unsigned char*>(region->base());
  EXPECT_STREQ(reinterpret_cast<char*>(bytes) + 1, "from the child");
  for (size_t i = 4096; i < kBytes; i += 4096) {
    ASSERT_EQ(bytes[i], static_cast<unsigned char>(i / 4096)) << "page " << i / 4096;
  }
  absl::StatusOr<int> exit_code = child->Wait(In(absl::Seconds(10)));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  // The child's exit closed its end, which the parent sees as a peer close.
  absl::StatusOr<Message> after = channel->Recv(In(absl::Seconds(5)));
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ultracc::shm
