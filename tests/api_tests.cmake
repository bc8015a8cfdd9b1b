# The acceptance matrix of the collective family, run through the public C API by
# programs/collectives_check (C, ultracc.h and libultracc.so only): every collective x dtype x op x
# placement x count, in embedded mode (ranks as threads of one process) for several world sizes, in
# daemon mode under `ultracc launch` for several node x chip shapes, and with ULTRACC_ALGO forcing
# each algorithm. The matrix is cut into cases that CTest runs in parallel; jobs of many processes
# run one at a time. ULTRACC_TIMEOUT_MS bounds every wait inside the runtime and --timeout the
# program itself, both well below the CTest timeout, so a hang fails with a message.

add_executable(collectives_check
  programs/collectives_check/main.c programs/collectives_check/matrix.c
  programs/collectives_check/barrier.c programs/collectives_check/point_to_point.c
  programs/collectives_check/split.c programs/collectives_check/invalid.c
  programs/collectives_check/verify.c programs/collectives_check/reference.c
  programs/collectives_check/elements.c programs/collectives_check/ranges.c
  programs/collectives_check/shared_expected.c)
target_link_libraries(collectives_check PRIVATE ultracc Threads::Threads m)

set(ULTRACC_API_TEST_ENV ULTRACC_TIMEOUT_MS=60000)

# ultracc_api_test(NAME TIMEOUT seconds [RUN_SERIAL] [ENV VAR=value...] ARGS args...)
function(ultracc_api_test name)
  cmake_parse_arguments(T "RUN_SERIAL" "TIMEOUT" "ARGS;ENV;COMMAND" ${ARGN})
  math(EXPR program_timeout "${T_TIMEOUT} - 10")
  if(T_COMMAND)
    set(command ${T_COMMAND})
  else()
    set(command $<TARGET_FILE:collectives_check>)
  endif()
  add_test(NAME ${name} COMMAND ${command} ${T_ARGS} --timeout ${program_timeout})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "api"
                       ENVIRONMENT "${ULTRACC_API_TEST_ENV};${T_ENV}")
  if(T_RUN_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()

set(ULTRACC_INT_DTYPES int8,uint8,int32,uint32,int64,uint64)
set(ULTRACC_FLOAT_DTYPES half,float,double,bfloat16,f8e4m3,f8e5m2)
set(ULTRACC_COLLECTIVES allreduce,reducescatter,allgather,alltoall,alltoallv,broadcast,reduce)

# Embedded mode: the whole matrix at every world size, in slices.
foreach(world 1 2 3 4 5 8)
  set(threads --threads ${world})
  ultracc_api_test(ApiEmbedded.w${world}.reductions_int TIMEOUT 240
                   ARGS ${threads} --collectives allreduce,reducescatter,reduce
                        --dtypes ${ULTRACC_INT_DTYPES})
  ultracc_api_test(ApiEmbedded.w${world}.reductions_float TIMEOUT 240
                   ARGS ${threads} --collectives allreduce,reducescatter,reduce
                        --dtypes ${ULTRACC_FLOAT_DTYPES})
  ultracc_api_test(ApiEmbedded.w${world}.movement TIMEOUT 240
                   ARGS ${threads} --collectives allgather,alltoall,alltoallv,broadcast,barrier)
  ultracc_api_test(ApiEmbedded.w${world}.sendrecv_split_invalid TIMEOUT 240
                   ARGS ${threads} --collectives sendrecv,split,invalid)
endforeach()
# The 12-case 2^20 + 3 subset where the full product at that count does not run (at world 8 it
# still holds the only reduce-scatter cases of that count).
foreach(world 1 2 3 4 8)
  ultracc_api_test(ApiEmbedded.w${world}.large TIMEOUT 240
                   ARGS --threads ${world} --counts none --large --collectives ${ULTRACC_COLLECTIVES})
endforeach()

# 2^20 + 3 elements over every collective x dtype x op x placement x root at world 5, and all but
# reduce-scatter at world 8 (the whole suite's budget); reductions in slices of three dtypes.
set(ULTRACC_DTYPE_SLICES int8,uint8,int32 uint32,int64,uint64 half,float,double
    bfloat16,f8e4m3,f8e5m2)
foreach(world 5 8)
  set(collectives allreduce reducescatter reduce)
  if(world EQUAL 8)
    set(collectives allreduce reduce)
  endif()
  foreach(collective ${collectives})
    set(slice 0)
    foreach(dtypes ${ULTRACC_DTYPE_SLICES})
      ultracc_api_test(ApiLarge.w${world}.${collective}.${slice} TIMEOUT 120
                       ARGS --threads ${world} --counts 1048579 --collectives ${collective}
                            --dtypes ${dtypes})
      math(EXPR slice "${slice} + 1")
    endforeach()
  endforeach()
  ultracc_api_test(ApiLarge.w${world}.movement TIMEOUT 120
                   ARGS --threads ${world} --counts 1048579
                        --collectives allgather,alltoall,alltoallv,broadcast)
endforeach()
ultracc_api_test(ApiEmbedded.w3.mismatched_counts TIMEOUT 120
                 ARGS --threads 3 --collectives mismatch)

# ULTRACC_ALGO forcing each algorithm on the collectives it implements (AlgorithmApplies in
# collectives/algorithm.h; the others fall back to the default rule, which the matrix above runs).
# Counts 0, 1, 7 and 1000 at every world size, 2^20 + 3 at world 5 where forcing changes what
# runs: at that size the default rule already picks ring (all-reduce, reduce-scatter, all-gather),
# pairwise (all-to-all, all-to-allv) and tree (broadcast, reduce), which ApiLarge covers.
set(ULTRACC_ALGO_ring allreduce,reducescatter,allgather)
set(ULTRACC_ALGO_rhd allreduce,reducescatter,allgather)
set(ULTRACC_ALGO_tree allreduce,broadcast,reduce)
set(ULTRACC_ALGO_pairwise alltoall,alltoallv)
set(ULTRACC_ALGO_bruck alltoall)
set(ULTRACC_ALGO_direct allreduce,reducescatter,allgather,alltoall,alltoallv,broadcast)
foreach(algo ring rhd tree pairwise bruck direct)
  foreach(world 1 2 3 4 5 8)
    ultracc_api_test(ApiAlgorithm.${algo}.w${world} TIMEOUT 240 ENV ULTRACC_ALGO=${algo}
                     ARGS --threads ${world} --collectives ${ULTRACC_ALGO_${algo}})
  endforeach()
endforeach()
set(ULTRACC_ALGO_LARGE_rhd allreduce allgather)
set(ULTRACC_ALGO_LARGE_tree allreduce)
set(ULTRACC_ALGO_LARGE_bruck alltoall)
set(ULTRACC_ALGO_LARGE_direct allreduce allgather,alltoall,alltoallv,broadcast)
foreach(algo rhd tree bruck direct)
  foreach(collectives ${ULTRACC_ALGO_LARGE_${algo}})
    string(REPLACE "," "_" name ${collectives})
    ultracc_api_test(ApiAlgorithm.${algo}.w5.large.${name} TIMEOUT 240 ENV ULTRACC_ALGO=${algo}
                     ARGS --threads 5 --counts 1048579 --collectives ${collectives})
  endforeach()
endforeach()
# Reduce-scatter at 2^20 + 3 is forced for rhd only (direct's is left out for the suite's budget).
ultracc_api_test(ApiAlgorithm.rhd.w5.large.reducescatter_int TIMEOUT 240 ENV ULTRACC_ALGO=rhd
                 ARGS --threads 5 --counts 1048579 --collectives reducescatter
                      --dtypes ${ULTRACC_INT_DTYPES})
ultracc_api_test(ApiAlgorithm.rhd.w5.large.reducescatter_float TIMEOUT 240 ENV ULTRACC_ALGO=rhd
                 ARGS --threads 5 --counts 1048579 --collectives reducescatter
                      --dtypes ${ULTRACC_FLOAT_DTYPES})

# Daemon mode: jobs under `ultracc launch`, nodes x chips per node, every kind of case.
foreach(shape 1x1 1x2 2x1 3x1 1x3 2x2 2x4)
  string(REPLACE "x" ";" dims ${shape})
  list(GET dims 0 nodes)
  list(GET dims 1 chips)
  set(launch $<TARGET_FILE:ultracc_cli> launch --nodes ${nodes} --chips-per-node ${chips} --
      $<TARGET_FILE:collectives_check>)
  ultracc_api_test(ApiDaemon.${shape} TIMEOUT 300 RUN_SERIAL COMMAND ${launch}
                   ARGS --dtypes int8,uint32,int64,float,double,half,bfloat16,f8e4m3 --large)
endforeach()
ultracc_api_test(ApiDaemon.2x2.mismatched_counts TIMEOUT 120 RUN_SERIAL
                 COMMAND $<TARGET_FILE:ultracc_cli> launch --nodes 2 --chips-per-node 2 --
                         $<TARGET_FILE:collectives_check>
                 ARGS --collectives mismatch)
