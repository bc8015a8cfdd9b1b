# `ultracc bench` end to end: every collective over a 2-node x 2-chip job with checking, the
# table's columns and bandwidth factors, the JSON, CSV and SVG outputs, --compare, and flag errors.
find_package(nlohmann_json 3 REQUIRED)
ultracc_add_test(bench_test SOURCES bench_test.cc
                 LIBS ultracc_test_processes ultracc_bench_program nlohmann_json::nlohmann_json
                 TIMEOUT 120 LABELS multiprocess RUN_SERIAL)
target_compile_definitions(bench_test PRIVATE
  ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>"
  ULTRACC_ALLREDUCE_PERF="$<TARGET_FILE:ultracc_allreduce_perf>")
add_dependencies(bench_test ultracc_cli ultraccd ultracc_perf ultracc_allreduce_perf)
