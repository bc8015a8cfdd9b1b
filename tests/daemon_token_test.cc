// Tests of the job token of ultraccd (runtime/control/token.h, runtime/daemon/): a real daemon
// process refuses every NodeDaemon and Store call that carries no token or a wrong one with
// UNAUTHENTICATED, and serves the calls that carry the right one.
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "runtime/control/token.h"
#include "store.grpc.pb.h"
#include "tests/testing/subprocess.h"

namespace ultracc {
namespace {

using ::ultracc::testing::Subprocess;
using ::ultracc::testing::SubprocessOptions;

constexpr char kToken[] = "0123456789abcdef0123456789abcdef";
constexpr absl::Duration kCallTimeout = absl::Seconds(5);
constexpr char kReadyPrefix[] = "ultraccd listening on ";

// What a call presents in the "ultracc-token" metadata entry; nullopt: no entry at all.
using Credential = std::optional<std::string>;

class DaemonTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SubprocessOptions options;
    options.argv = {ULTRACC_DAEMON_BINARY, "--listen", "127.0.0.1:0"};
    options.env["ULTRACC_JOB_TOKEN"] = kToken;
    auto daemon = Subprocess::Start(options);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = *std::move(daemon);
    ASSERT_TRUE(daemon_->AwaitStdout("\n", absl::Now() + absl::Seconds(20)))
        << "ultraccd did not report its address; stderr:\n"
        << daemon_->Stderr();
    std::string line = daemon_->Stdout();
    line = line.substr(0, line.find('\n'));
    ASSERT_EQ(line.rfind(kReadyPrefix, 0), 0u) << line;
    auto channel =
        grpc::CreateChannel(line.substr(strlen(kReadyPrefix)), grpc::InsecureChannelCredentials());
    node_ = proto::NodeDaemon::NewStub(channel);
    store_ = proto::Store::NewStub(channel);
  }

  void TearDown() override {
    if (!daemon_ || shut_down_) return;
    grpc::ClientContext context;
    Prepare(&context, kToken);
    proto::ShutdownReply reply;
    EXPECT_TRUE(node_->Shutdown(&context, proto::ShutdownRequest(), &reply).ok());
    auto result = daemon_->Wait(absl::Now() + absl::Seconds(15));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 0) << result->err;
  }

  static void Prepare(grpc::ClientContext* context, const Credential& credential) {
    if (credential) context->AddMetadata(control::kTokenMetadataKey, *credential);
    context->set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  }

  // Calls every RPC of both services once with `credential`; returns each one's status code.
  std::map<std::string, grpc::StatusCode> CallEverything(const Credential& credential) {
    std::map<std::string, grpc::StatusCode> codes;
    auto call = [&](const std::string& name, auto&& rpc) {
      grpc::ClientContext context;
      Prepare(&context, credential);
      codes[name] = rpc(&context).error_code();
    };
    call("Health", [&](grpc::ClientContext* c) {
      proto::HealthReply reply;
      return node_->Health(c, proto::HealthRequest(), &reply);
    });
    call("LaunchRanks", [&](grpc::ClientContext* c) {
      proto::LaunchRanksRequest request;  // no job: invalid once past the token check
      proto::LaunchRanksReply reply;
      return node_->LaunchRanks(c, request, &reply);
    });
    call("SignalRanks", [&](grpc::ClientContext* c) {
      proto::SignalRanksRequest request;
      request.set_job_id("no-such-job");
      request.set_signal(15);
      proto::SignalRanksReply reply;
      return node_->SignalRanks(c, request, &reply);
    });
    call("RankStatus", [&](grpc::ClientContext* c) {
      proto::RankStatusRequest request;
      request.set_job_id("no-such-job");
      proto::RankStatusReply reply;
      return node_->RankStatus(c, request, &reply);
    });
    call("WatchRanks", [&](grpc::ClientContext* c) {
      proto::WatchRanksRequest request;
      request.set_job_id("no-such-job");
      auto reader = node_->WatchRanks(c, request);
      proto::RankEvent event;
      while (reader->Read(&event)) {
      }
      return reader->Finish();
    });
    call("Put", [&](grpc::ClientContext* c) {
      proto::PutRequest request;
      request.set_key("probe");
      request.set_value(credential.value_or("(none)"));
      proto::PutReply reply;
      return store_->Put(c, request, &reply);
    });
    call("Get", [&](grpc::ClientContext* c) {
      proto::GetRequest request;
      request.set_key("probe");
      proto::GetReply reply;
      return store_->Get(c, request, &reply);
    });
    // A refused Shutdown must not stop the daemon; an accepted one does (tested on its own).
    if (credential != kToken) {
      call("Shutdown", [&](grpc::ClientContext* c) {
        proto::ShutdownReply reply;
        return node_->Shutdown(c, proto::ShutdownRequest(), &reply);
      });
    }
    return codes;
  }

  absl::StatusOr<std::string> Get(const std::string& key, absl::Duration wait) {
    grpc::ClientContext context;
    Prepare(&context, kToken);
    context.set_deadline(absl::ToChronoTime(absl::Now() + wait));
    proto::GetRequest request;
    request.set_key(key);
    proto::GetReply reply;
    grpc::Status s = store_->Get(&context, request, &reply);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), key);
    return reply.value();
  }

  grpc::Status Health(const Credential& credential) {
    grpc::ClientContext context;
    Prepare(&context, credential);
    proto::HealthReply reply;
    return node_->Health(&context, proto::HealthRequest(), &reply);
  }

  std::unique_ptr<Subprocess> daemon_;
  bool shut_down_ = false;
  std::unique_ptr<proto::NodeDaemon::Stub> node_;
  std::unique_ptr<proto::Store::Stub> store_;
};

TEST_F(DaemonTokenTest, RefusesEveryCallWithoutToken) {
  for (const auto& [name, code] : CallEverything(std::nullopt)) {
    EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED) << name;
  }
}

TEST_F(DaemonTokenTest, RefusesEveryCallWithWrongToken) {
  const std::string right = kToken;
  for (const Credential& wrong : {Credential(""), Credential(right.substr(0, right.size() - 1)),
                                  Credential(right + "0"), Credential("f" + right.substr(1))}) {
    for (const auto& [name, code] : CallEverything(wrong)) {
      EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED)
          << name << " with token '" << *wrong << "'";
    }
  }
  // The refused calls changed nothing: the daemon still runs and the store holds no "probe".
  EXPECT_TRUE(Health(kToken).ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(Get("probe", absl::Milliseconds(300)).status()));
}

TEST_F(DaemonTokenTest, ServesCallsWithRightToken) {
  std::map<std::string, grpc::StatusCode> codes = CallEverything(kToken);
  EXPECT_EQ(codes["Health"], grpc::StatusCode::OK);
  EXPECT_EQ(codes["Put"], grpc::StatusCode::OK);
  EXPECT_EQ(codes["Get"], grpc::StatusCode::OK);
  // Past the token check, calls about a job that does not exist are answered on their merits.
  EXPECT_EQ(codes["LaunchRanks"], grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(codes["SignalRanks"], grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(codes["RankStatus"], grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(codes["WatchRanks"], grpc::StatusCode::NOT_FOUND);
  absl::StatusOr<std::string> value = Get("probe", kCallTimeout);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, kToken);
}

TEST_F(DaemonTokenTest, ShutdownWithRightTokenStopsDaemon) {
  grpc::ClientContext context;
  Prepare(&context, kToken);
  proto::ShutdownReply reply;
  grpc::Status s = node_->Shutdown(&context, proto::ShutdownRequest(), &reply);
  ASSERT_TRUE(s.ok()) << s.error_message();
  shut_down_ = true;
  auto result = daemon_->Wait(absl::Now() + absl::Seconds(15));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->err;
}

TEST(DaemonTokenStartTest, DaemonWithoutTokenRefusesToStart) {
  SubprocessOptions options;
  options.argv = {ULTRACC_DAEMON_BINARY, "--listen", "127.0.0.1:0"};
  options.unset_env = {"ULTRACC_JOB_TOKEN"};
  auto daemon = Subprocess::Start(options);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  auto result = (*daemon)->Wait(absl::Now() + absl::Seconds(15));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_NE(result->err.find("ULTRACC_JOB_TOKEN"), std::string::npos) << result->err;
  EXPECT_EQ(result->out.find("listening"), std::string::npos) << result->out;
}

}  // namespace
}  // namespace ultracc
