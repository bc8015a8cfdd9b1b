// Checks of LaunchRanks requests (runtime/daemon/launch_request.h): a well-formed request passes
// with its settings; each out-of-range field is refused with InvalidArgument naming it.
#include "runtime/daemon/launch_request.h"

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ultracc::daemon {
namespace {

using ::testing::HasSubstr;

proto::LaunchRanksRequest Valid() {
  proto::LaunchRanksRequest request;
  proto::JobSpec* job = request.mutable_job();
  job->set_job_id("1234-abcdef.0_x");
  job->set_nodes(2);
  job->set_chips_per_node(4);
  job->set_transport("tcp");
  job->add_daemon_addresses("127.0.0.1:1");
  job->add_daemon_addresses("127.0.0.1:2");
  job->set_program("/bin/true");
  (*job->mutable_env())["ULTRACC_TIMEOUT_MS"] = "1234";
  request.set_node_rank(1);
  return request;
}

TEST(LaunchRequestTest, AcceptsAWellFormedRequestWithItsSettings) {
  absl::StatusOr<Config> config = CheckLaunchRequest(Valid());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->timeout, absl::Milliseconds(1234));
}

TEST(LaunchRequestTest, RefusesEachBadFieldNamingIt) {
  struct Case {
    const char* name;
    std::function<void(proto::LaunchRanksRequest&)> spoil;
    const char* named;
  };
  const Case cases[] = {
      {"no job id", [](auto& r) { r.mutable_job()->clear_job_id(); }, "job_id"},
      {"job id with a slash", [](auto& r) { r.mutable_job()->set_job_id("a/b"); }, "job_id"},
      {"job id too long", [](auto& r) { r.mutable_job()->set_job_id(std::string(129, 'a')); },
       "job_id"},
      {"no program", [](auto& r) { r.mutable_job()->clear_program(); }, "program"},
      {"program with NUL", [](auto& r) { r.mutable_job()->set_program(std::string("a\0b", 3)); },
       "program"},
      {"zero nodes", [](auto& r) { r.mutable_job()->set_nodes(0); }, "nodes"},
      {"huge chips", [](auto& r) { r.mutable_job()->set_chips_per_node(1 << 30); }, "chips"},
      {"node rank out of range", [](auto& r) { r.set_node_rank(2); }, "node rank 2"},
      {"negative node rank", [](auto& r) { r.set_node_rank(-1); }, "node rank -1"},
      {"missing address",
       [](auto& r) { r.mutable_job()->mutable_daemon_addresses()->RemoveLast(); },
       "daemon addresses"},
      {"env name with '='", [](auto& r) { (*r.mutable_job()->mutable_env())["A=B"] = "1"; },
       "environment entry"},
      {"bad setting",
       [](auto& r) { (*r.mutable_job()->mutable_env())["ULTRACC_TIMEOUT_MS"] = "soon"; },
       "ULTRACC_TIMEOUT_MS"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    proto::LaunchRanksRequest request = Valid();
    c.spoil(request);
    absl::StatusOr<Config> config = CheckLaunchRequest(request);
    EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << config.status();
    EXPECT_THAT(config.status().message(), HasSubstr(c.named));
  }
}

}  // namespace
}  // namespace ultracc::daemon
