// `ultracc status`: the hang locator. Asks every daemon of a running job which collective each of
// its ranks called last and how long it has waited, prints one line per rank, then the ranks that
// are behind: those that have not called the newest collective the others wait in.
//
// The job is found as `ultracc launch` left it (its job record, tools/launch/job_record.h), or
// given like `ultracc launch --daemons`: HOST:PORT,... with the token in ULTRACC_JOB_TOKEN.
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace ultracc::status {

class StatusCommand {
 public:
  // Adds the subcommand and its flags to `app`.
  explicit StatusCommand(CLI::App& app);

  bool parsed() const { return command_->parsed(); }
  // Prints the report to stdout; returns 0, 1 when the job or a daemon cannot be reached, 2 for
  // unusable flags.
  int Run() const;

 private:
  CLI::App* command_;
  std::string daemons_;
  std::string job_id_;
};

}  // namespace ultracc::status
