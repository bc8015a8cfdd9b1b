// Config::Parse: every ULTRACC_* setting read, defaults kept when unset, and a bad value refused
// with an error naming the variable and the value.
#include "runtime/config.h"

#include <map>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace ultracc {
namespace {

absl::StatusOr<Config> ParseFrom(const std::map<std::string, std::string>& vars) {
  return Config::Parse([&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ConfigTest, DefaultsWhenNothingIsSet) {
  absl::StatusOr<Config> c = ParseFrom({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->timeout, absl::Seconds(300));
  EXPECT_TRUE(c->check_calls);
  EXPECT_TRUE(c->share_host);
  EXPECT_EQ(c->transport, "auto");
  EXPECT_EQ(c->ofi_provider, "");
  EXPECT_EQ(c->ofi_rails, 1);
  EXPECT_FALSE(c->ofi_mr_local);
  EXPECT_EQ(c->algorithm, collectives::Algorithm::kAuto);
  EXPECT_FALSE(c->rank.has_value());
}

TEST(ConfigTest, ReadsEverySetting) {
  absl::StatusOr<Config> c = ParseFrom({{"ULTRACC_TIMEOUT_MS", "1500"},
                                        {"ULTRACC_CHECK_CALLS", "0"},
                                        {"ULTRACC_SHARE_HOST", "0"},
                                        {"ULTRACC_TRANSPORT", "ofi"},
                                        {"ULTRACC_OFI_PROVIDER", "shm"},
                                        {"ULTRACC_OFI_RAILS", "4"},
                                        {"ULTRACC_OFI_MR_LOCAL", "1"},
                                        {"ULTRACC_ALGO", "Ring"},
                                        {"ULTRACC_RANK", "3"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->timeout, absl::Milliseconds(1500));
  EXPECT_FALSE(c->check_calls);
  EXPECT_FALSE(c->share_host);
  EXPECT_EQ(c->transport, "ofi");
  EXPECT_EQ(c->ofi_provider, "shm");
  EXPECT_EQ(c->ofi_rails, 4);
  EXPECT_TRUE(c->ofi_mr_local);
  EXPECT_EQ(c->algorithm, collectives::Algorithm::kRing);
  EXPECT_EQ(c->rank, 3);
}

TEST(ConfigTest, BadValuesNameTheVariableAndValue) {
  const std::map<std::string, std::string> bad[] = {
      {{"ULTRACC_TIMEOUT_MS", "soon"}},
      {{"ULTRACC_TIMEOUT_MS", "0"}},
      {{"ULTRACC_CHECK_CALLS", "2"}},
      {{"ULTRACC_SHARE_HOST", "no"}},
      {{"ULTRACC_TRANSPORT", "carrier-pigeon"}},
      {{"ULTRACC_OFI_RAILS", "0"}},
      {{"ULTRACC_OFI_RAILS", "17"}},
      {{"ULTRACC_OFI_MR_LOCAL", "yes"}},
      {{"ULTRACC_ALGO", "quantum"}},
      {{"ULTRACC_RANK", "-1"}},
      {{"ULTRACC_SLICE_BYTES", "100"}},
      {{"ULTRACC_TOPOLOGY", "no-such-preset"}},
      {{"ULTRACC_TOPOLOGY", "trn3-ultracluster:0"}},
      {{"ULTRACC_DEBUG", "TUNING,ROUTING"}},
      {{"ULTRACC_EMULATE_LINKS", "fast"}},
      {{"ULTRACC_EMULATE_LINKS", "0"}},
      {{"ULTRACC_EMULATE_LINKS", "8"}},  // without a topology
  };
  for (const auto& vars : bad) {
    const auto& [name, value] = *vars.begin();
    absl::StatusOr<Config> c = ParseFrom(vars);
    ASSERT_FALSE(c.ok()) << name << "=" << value;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(name), std::string::npos) << c.status();
    EXPECT_NE(c.status().message().find(value), std::string::npos) << c.status();
  }
}

TEST(ConfigTest, TopologyIsLoadedAndDebugSubsystemsAreRead) {
  absl::StatusOr<Config> unset = ParseFrom({});
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ(unset->topology, nullptr);
  EXPECT_FALSE(unset->debug_tuning);

  absl::StatusOr<Config> c =
      ParseFrom({{"ULTRACC_TOPOLOGY", "trn3-ultraserver"}, {"ULTRACC_DEBUG", " tuning "}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->topology_spec, "trn3-ultraserver");
  ASSERT_NE(c->topology, nullptr);
  EXPECT_EQ(c->topology->chips(), 144);
  EXPECT_TRUE(c->debug_tuning);
}

TEST(ConfigTest, LinkEmulationNeedsATopologyAndAPositiveRate) {
  absl::StatusOr<Config> c =
      ParseFrom({{"ULTRACC_TOPOLOGY", "trn3-ultraserver"}, {"ULTRACC_EMULATE_LINKS", "2.5"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->emulate_links_gbps, 2.5);
  absl::StatusOr<Config> alone = ParseFrom({{"ULTRACC_EMULATE_LINKS", "8"}});
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.status().message().find("needs ULTRACC_TOPOLOGY"), std::string::npos)
      << alone.status();
  absl::StatusOr<Config> unset = ParseFrom({});
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ(unset->emulate_links_gbps, 0);
}

TEST(ConfigTest, ABadTopologySaysWhatIsWrongWithIt) {
  absl::StatusOr<Config> c = ParseFrom({{"ULTRACC_TOPOLOGY", "/no/such/spec.textproto"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("environment variable ULTRACC_TOPOLOGY='/no/such/"),
            std::string::npos)
      << c.status();
  // The loader's own message follows (here: neither a preset nor a readable file).
  EXPECT_NE(c.status().message().find("trn3-ultraserver"), std::string::npos) << c.status();
}

}  // namespace
}  // namespace ultracc
