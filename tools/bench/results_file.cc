// JSON results of the benchmark, read with nlohmann::json; see results_file.h.
#include "tools/bench/results_file.h"

#include <fstream>

#include "nlohmann/json.hpp"

namespace ultracc::bench {
namespace {

PlacementResult ReadPlacement(const nlohmann::json& j) {
  PlacementResult p;
  p.time_us = j.at("time_us").get<double>();
  p.algbw = j.at("algbw").get<double>();
  p.busbw = j.at("busbw").get<double>();
  p.p50_us = j.at("p50_us").get<double>();
  p.p99_us = j.at("p99_us").get<double>();
  p.wrong = j.at("wrong").is_null() ? -1 : j.at("wrong").get<long>();
  return p;
}

}  // namespace

bool LoadResults(const std::string& path, RunResults* run, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    run->label = path.substr(path.rfind('/') + 1);
    run->nranks = j.at("nranks").get<int>();
    run->nodes = j.at("nodes").get<int>();
    run->rows.clear();
    for (const nlohmann::json& r : j.at("results")) {
      ResultRow row;
      row.collective = r.at("collective").get<std::string>();
      row.size = r.at("size").get<size_t>();
      row.count = r.at("count").get<size_t>();
      row.type = r.at("type").get<std::string>();
      row.redop = r.at("redop").get<std::string>();
      row.root = r.at("root").get<int>();
      row.algorithm = r.value("algorithm", "");
      row.out_of_place = ReadPlacement(r.at("out_of_place"));
      row.has_in_place = !r.at("in_place").is_null();
      if (row.has_in_place) row.in_place = ReadPlacement(r.at("in_place"));
      run->rows.push_back(row);
    }
  } catch (const nlohmann::json::exception& e) {
    *error = path + " is not a results file of ultracc bench --json: " + e.what();
    return false;
  }
  return true;
}

}  // namespace ultracc::bench
