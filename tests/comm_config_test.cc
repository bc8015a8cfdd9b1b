// ultraccCommInitRankConfig (runtime/include/ultracc.h): per-communicator settings through the
// public C API, with ranks as threads of this process. Bad fields are refused naming the field;
// ranks that force different algorithms are refused when they join; a communicator's own timeout
// bounds its waits; a forced algorithm still gives exact results.
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ultracc.h"

namespace {

using ::testing::HasSubstr;

// What one rank's call returned, with the message it left.
struct Outcome {
  ultraccResult_t result = ultraccSuccess;
  std::string message;
};

Outcome InitOne(ultraccConfig_t config) {
  ultraccUniqueId id;
  EXPECT_EQ(ultraccGetUniqueId(&id), ultraccSuccess);
  ultraccComm_t comm = nullptr;
  Outcome out{ultraccCommInitRankConfig(&comm, 1, id, 0, &config), ultraccGetLastError(nullptr)};
  if (comm != nullptr) ultraccCommDestroy(comm);
  return out;
}

TEST(CommConfigTest, BadFieldsAreRefusedNamingTheField) {
  ultraccConfig_t config = ULTRACC_CONFIG_INITIALIZER;
  config.size = 3;
  Outcome o = InitOne(config);
  EXPECT_EQ(o.result, ultraccInvalidArgument);
  EXPECT_THAT(o.message, HasSubstr("config->size is 3"));

  config = ULTRACC_CONFIG_INITIALIZER;
  config.timeout_ms = -5;
  o = InitOne(config);
  EXPECT_EQ(o.result, ultraccInvalidArgument);
  EXPECT_THAT(o.message, HasSubstr("config->timeout_ms is -5"));

  config = ULTRACC_CONFIG_INITIALIZER;
  config.algorithm = "spiral";
  o = InitOne(config);
  EXPECT_EQ(o.result, ultraccInvalidArgument);
  EXPECT_THAT(o.message, HasSubstr("config->algorithm"));
  EXPECT_THAT(o.message, HasSubstr("ring"));  // the valid names
}

TEST(CommConfigTest, DefaultsAndNullConfigCreateCommunicators) {
  EXPECT_EQ(InitOne(ULTRACC_CONFIG_INITIALIZER).result, ultraccSuccess);
  ultraccUniqueId id;
  ASSERT_EQ(ultraccGetUniqueId(&id), ultraccSuccess);
  ultraccComm_t comm = nullptr;
  ASSERT_EQ(ultraccCommInitRankConfig(&comm, 1, id, 0, nullptr), ultraccSuccess);
  EXPECT_EQ(ultraccCommDestroy(comm), ultraccSuccess);
}

// Runs `body(rank, config)` for `nranks` thread-ranks of one id, each with its own config.
std::vector<Outcome> RunRanks(const std::vector<ultraccConfig_t>& configs,
                              const std::function<Outcome(ultraccComm_t, int)>& body) {
  ultraccUniqueId id;
  EXPECT_EQ(ultraccGetUniqueId(&id), ultraccSuccess);
  const int nranks = static_cast<int>(configs.size());
  std::vector<std::future<Outcome>> ranks;
  for (int r = 0; r < nranks; ++r) {
    ranks.push_back(std::async(std::launch::async, [&, r] {
      ultraccComm_t comm = nullptr;
      ultraccResult_t result = ultraccCommInitRankConfig(&comm, nranks, id, r, &configs[r]);
      if (result != ultraccSuccess) return Outcome{result, ultraccGetLastError(nullptr)};
      Outcome out = body(comm, r);
      ultraccCommAbort(comm);
      return out;
    }));
  }
  std::vector<Outcome> outcomes;
  for (auto& rank : ranks) {
    // Each wait inside is bounded by the communicators' timeouts; this one fails instead of hanging
    // if they are not.
    if (rank.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      ADD_FAILURE() << "a rank is still running after 60 s";
      std::abort();
    }
    outcomes.push_back(rank.get());
  }
  return outcomes;
}

TEST(CommConfigTest, RanksForcingDifferentAlgorithmsAreRefusedWhenTheyJoin) {
  ultraccConfig_t ring = ULTRACC_CONFIG_INITIALIZER, rhd = ULTRACC_CONFIG_INITIALIZER;
  ring.algorithm = "ring";
  rhd.algorithm = "rhd";
  ring.timeout_ms = rhd.timeout_ms = 20000;
  std::vector<Outcome> outcomes =
      RunRanks({ring, rhd}, [](ultraccComm_t, int) { return Outcome{}; });
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(outcomes[r].result, ultraccInvalidUsage) << "rank " << r;
    EXPECT_THAT(outcomes[r].message, HasSubstr("\"ring\""));
    EXPECT_THAT(outcomes[r].message, HasSubstr("\"rhd\""));
  }
}

TEST(CommConfigTest, ForcedAlgorithmGivesExactSums) {
  for (const char* algorithm : {"ring", "rhd", "tree", "direct"}) {
    SCOPED_TRACE(algorithm);
    ultraccConfig_t config = ULTRACC_CONFIG_INITIALIZER;
    config.algorithm = algorithm;
    constexpr size_t kCount = 1000;
    std::vector<Outcome> outcomes =
        RunRanks({config, config, config}, [](ultraccComm_t comm, int rank) {
          std::vector<float> data(kCount);
          for (size_t i = 0; i < kCount; ++i) data[i] = static_cast<float>(rank * 1000 + i);
          ultraccResult_t r = ultraccAllReduce(data.data(), data.data(), kCount, ultraccFloat32,
                                               ultraccSum, comm, nullptr);
          if (r != ultraccSuccess) return Outcome{r, ultraccGetLastError(comm)};
          for (size_t i = 0; i < kCount; ++i) {
            if (data[i] != static_cast<float>(3000 + 3 * i)) {
              return Outcome{ultraccInternalError, "wrong sum at " + std::to_string(i)};
            }
          }
          return Outcome{};
        });
    for (const Outcome& o : outcomes) EXPECT_EQ(o.result, ultraccSuccess) << o.message;
  }
}

TEST(CommConfigTest, TheCommunicatorsTimeoutBoundsItsWaits) {
  ultraccConfig_t config = ULTRACC_CONFIG_INITIALIZER;
  config.timeout_ms = 300;
  std::promise<void> done;
  std::shared_future<void> rank0_done = done.get_future().share();
  const absl::Time start = absl::Now();
  std::vector<Outcome> outcomes = RunRanks({config, config}, [&](ultraccComm_t comm, int rank) {
    if (rank == 1) {  // never joins the all-reduce; waits until rank 0 has given up
      rank0_done.wait();
      return Outcome{};
    }
    float x = 1;
    ultraccResult_t r = ultraccAllReduce(&x, &x, 1, ultraccFloat32, ultraccSum, comm, nullptr);
    Outcome out{r, ultraccGetLastError(comm)};
    done.set_value();
    return out;
  });
  EXPECT_EQ(outcomes[0].result, ultraccTimeout) << outcomes[0].message;
  EXPECT_THAT(outcomes[0].message, HasSubstr("rank 1"));
  // The process default (ULTRACC_TIMEOUT_MS unset) is minutes; 300 ms plus the report window.
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
}

}  // namespace
