# The acceptance matrix of the collective family, run through the public C API by
# programs/collectives_check (C, ultracc.h and libultracc.so only): every collective x dtype x op x
# placement x count, in embedded mode (ranks as threads of one process) for several world sizes, in
# daemon mode under `ultracc launch` for several node x chip shapes, and with ULTRACC_ALGO forcing
# each algorithm. The matrix is cut into cases that CTest runs in parallel, jobs of many processes
# too (each is slower beside another test, far from its limits); only the mismatch job, which
# waits on the runtime's failure path, runs alone. ULTRACC_TIMEOUT_MS bounds every wait inside the
# runtime and --timeout the program itself, both well below the CTest timeout, so a hang fails
# with a message.

add_executable(collectives_check
  programs/collectives_check/main.c programs/collectives_check/matrix.c
  programs/collectives_check/barrier.c programs/collectives_check/point_to_point.c
  programs/collectives_check/split.c programs/collectives_check/invalid.c
  programs/collectives_check/verify.c programs/collectives_check/reference.c
  programs/collectives_check/elements.c programs/collectives_check/ranges.c
  programs/collectives_check/shared_expected.c programs/collectives_check/blocks.c)
target_link_libraries(collectives_check PRIVATE ultracc Threads::Threads m)

set(ULTRACC_API_TEST_ENV ULTRACC_TIMEOUT_MS=60000)

# ultracc_api_test(NAME TIMEOUT seconds [COST c] [RUN_SERIAL] [ENV VAR=value...] ARGS args...)
# COST orders a fresh run (no timings recorded yet) longest first, so no long test starts last.
function(ultracc_api_test name)
  cmake_parse_arguments(T "RUN_SERIAL" "TIMEOUT;COST" "ARGS;ENV;COMMAND" ${ARGN})
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
  if(T_COST)
    set_tests_properties(${name} PROPERTIES COST ${T_COST})
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
# 2^20 + 3 elements over every collective x dtype x op x placement x root at every world size,
# under every algorithm that implements the collective: each algorithm on its own communicator
# (ultraccConfig_t.algorithm, as ULTRACC_ALGO forces it), case by case, so that they share each
# case's inputs and expected outputs. "auto" is the size rule, which there picks ring (all-reduce,
# reduce-scatter, all-gather), pairwise (all-to-all, all-to-allv) and tree (broadcast, reduce).
# One test per collective, reductions split by dtype half.
set(ULTRACC_LARGE_COUNT 1048579)
set(ULTRACC_LARGE_ALGOS_allreduce auto,rhd,tree,direct,hier)
set(ULTRACC_LARGE_ALGOS_reducescatter auto,rhd,direct)
set(ULTRACC_LARGE_ALGOS_reduce auto)
set(ULTRACC_LARGE_ALGOS_allgather auto,rhd,direct)
set(ULTRACC_LARGE_ALGOS_alltoall auto,bruck,direct)
set(ULTRACC_LARGE_ALGOS_alltoallv auto,direct)
set(ULTRACC_LARGE_ALGOS_broadcast auto,direct)
# About the seconds a test of 2^20 + 3 elements takes on two cores, so that CTest starts the
# longest first: world squared per algorithm, twice for reduce-scatter and all-to-all, which move
# world times the data of the others.
function(ultracc_large_cost out world collective algorithms)
  string(REPLACE "," ";" list ${algorithms})
  list(LENGTH list n)
  math(EXPR cost "${world} * ${world} * ${n}")
  if(collective MATCHES "^(reducescatter|alltoall)$")
    math(EXPR cost "${cost} * 2")
  endif()
  set(${out} ${cost} PARENT_SCOPE)
endfunction()
foreach(world 1 2 3 4 5 8)
  foreach(collective allreduce reducescatter reduce allgather alltoall alltoallv broadcast)
    set(algorithms ${ULTRACC_LARGE_ALGOS_${collective}})
    ultracc_large_cost(cost ${world} ${collective} ${algorithms})
    set(large_args --threads ${world} --counts ${ULTRACC_LARGE_COUNT} --collectives ${collective}
                   --algorithms ${algorithms})
    if(collective MATCHES "^(allreduce|reducescatter|reduce)$")
      ultracc_api_test(ApiLarge.w${world}.${collective}.int TIMEOUT 240 COST ${cost}
                       ARGS ${large_args} --dtypes ${ULTRACC_INT_DTYPES})
      ultracc_api_test(ApiLarge.w${world}.${collective}.float TIMEOUT 240 COST ${cost}
                       ARGS ${large_args} --dtypes ${ULTRACC_FLOAT_DTYPES})
    else()
      ultracc_api_test(ApiLarge.w${world}.${collective} TIMEOUT 240 COST ${cost}
                       ARGS ${large_args})
    endif()
  endforeach()
endforeach()
# Thread-ranks meet through memory unless a transport is forced; the matrix over TCP between
# threads of one process (multi-process jobs are the runtime tests' and ApiDaemon's), with the
# 2^20 + 3 cases at 3 ranks.
ultracc_api_test(ApiEmbeddedTcp.w3 TIMEOUT 240 ENV ULTRACC_TRANSPORT=tcp ARGS --threads 3 --large)
ultracc_api_test(ApiEmbeddedTcp.w8 TIMEOUT 240 ENV ULTRACC_TRANSPORT=tcp ARGS --threads 8)
ultracc_api_test(ApiEmbedded.w3.mismatched_counts TIMEOUT 120
                 ARGS --threads 3 --collectives mismatch)

# ULTRACC_ALGO forcing each algorithm on the collectives it implements (AlgorithmApplies in
# collectives/algorithm.h; the others fall back to the default rule, which the matrix above runs),
# at counts 0, 1, 7 and 1000 and every world size (2^20 + 3: ApiLarge above).
set(ULTRACC_ALGO_ring allreduce,reducescatter,allgather)
set(ULTRACC_ALGO_rhd allreduce,reducescatter,allgather)
set(ULTRACC_ALGO_tree allreduce,broadcast,reduce)
set(ULTRACC_ALGO_pairwise alltoall,alltoallv)
set(ULTRACC_ALGO_bruck alltoall)
set(ULTRACC_ALGO_direct allreduce,reducescatter,allgather,alltoall,alltoallv,broadcast)
set(ULTRACC_ALGO_hier allreduce,reducescatter,allgather)
foreach(algo ring rhd tree pairwise bruck direct hier)
  foreach(world 1 2 3 4 5 8)
    ultracc_api_test(ApiAlgorithm.${algo}.w${world} TIMEOUT 240 ENV ULTRACC_ALGO=${algo}
                     ARGS --threads ${world} --collectives ${ULTRACC_ALGO_${algo}})
  endforeach()
endforeach()
# Daemon mode: jobs under `ultracc launch`, nodes x chips per node, every kind of case. The nodes
# of these jobs share this host, so their ranks share memory and meet on one call board; with
# ULTRACC_SHARE_HOST=0 every collective between nodes goes through the daemons' node engines.
foreach(shape 1x1 1x2 2x1 3x1 1x3 2x2 2x4)
  string(REPLACE "x" ";" dims ${shape})
  list(GET dims 0 nodes)
  list(GET dims 1 chips)
  set(launch $<TARGET_FILE:ultracc_cli> launch --nodes ${nodes} --chips-per-node ${chips} --
      $<TARGET_FILE:collectives_check>)
  set(dtypes int8,uint32,int64,float,double,half,bfloat16,f8e4m3)
  ultracc_api_test(ApiDaemon.${shape} TIMEOUT 300 COST 10 COMMAND ${launch}
                   ARGS --dtypes ${dtypes} --large)
  if(nodes GREATER 1)
    ultracc_api_test(ApiDaemon.${shape}.without_sharing TIMEOUT 300 COST 10
                     ENV ULTRACC_SHARE_HOST=0 COMMAND ${launch} ARGS --dtypes ${dtypes} --large)
  endif()
endforeach()
# One node: small collectives run on the call board; with ULTRACC_BOARD_BYTES=0 the daemon runs
# them all.
ultracc_api_test(ApiDaemon.1x4.without_board TIMEOUT 300 COST 10
                 ENV ULTRACC_BOARD_BYTES=0
                 COMMAND $<TARGET_FILE:ultracc_cli> launch --nodes 1 --chips-per-node 4 --
                         $<TARGET_FILE:collectives_check>
                 ARGS --dtypes int8,float,bfloat16,f8e5m2)
ultracc_api_test(ApiDaemon.1x3.mismatched_counts TIMEOUT 120
                 COMMAND $<TARGET_FILE:ultracc_cli> launch --nodes 1 --chips-per-node 3 --
                         $<TARGET_FILE:collectives_check>
                 ARGS --collectives mismatch)
ultracc_api_test(ApiDaemon.2x2.mismatched_counts TIMEOUT 120 RUN_SERIAL
                 COMMAND $<TARGET_FILE:ultracc_cli> launch --nodes 2 --chips-per-node 2 --
                         $<TARGET_FILE:collectives_check>
                 ARGS --collectives mismatch)

# A three-level topology (tools/topo/examples/small-cluster.textproto: 2 UltraServers x 2 nodes x
# 2 chips): `ultracc launch --topology` places the 8 ranks and every daemon's engine takes the
# tuner's choices instead of the size rule, at the matrix's default counts (the nodes' ranks not
# sharing memory, which would bypass the engines).
set(ULTRACC_SMALL_CLUSTER ${PROJECT_SOURCE_DIR}/tools/topo/examples/small-cluster.textproto)
ultracc_api_test(ApiTopology.small_cluster TIMEOUT 240 COST 10 ENV ULTRACC_SHARE_HOST=0
                 COMMAND $<TARGET_FILE:ultracc_cli> launch --topology ${ULTRACC_SMALL_CLUSTER} --
                         $<TARGET_FILE:collectives_check>
                 ARGS --dtypes int32,float,bfloat16)
# Embedded mode on the same topology: 8 ranks as threads fill its 4 nodes of 2 chips, and each
# rank's engine (one chip per member) tunes for that layout.
ultracc_api_test(ApiTopology.embedded_w8 TIMEOUT 240 ENV ULTRACC_TOPOLOGY=${ULTRACC_SMALL_CLUSTER}
                 ARGS --threads 8 --dtypes int32,float,bfloat16)
# The hierarchical all-reduce, reduce-scatter and all-gather where they have groups: 8 thread-ranks
# in 2 UltraServers of 4 (every count and dtype, and 2^20 + 3), and the daemons' node engines of 2
# UltraServers of 2 nodes.
ultracc_api_test(ApiTopology.embedded_w8.hier TIMEOUT 240
                 ENV ULTRACC_TOPOLOGY=${ULTRACC_SMALL_CLUSTER} ULTRACC_ALGO=hier
                 ARGS --threads 8 --collectives allreduce,reducescatter,allgather --large)
# A torus node level (tools/topo/examples/small-torus.textproto: 2 nodes of 2x2 chips): 8
# thread-ranks fill it chip by chip, and the ring snakes through the tori (tuner/ring_order.h).
set(ULTRACC_SMALL_TORUS ${PROJECT_SOURCE_DIR}/tools/topo/examples/small-torus.textproto)
ultracc_api_test(ApiTopology.torus_embedded_w8.ring TIMEOUT 240
                 ENV ULTRACC_TOPOLOGY=${ULTRACC_SMALL_TORUS} ULTRACC_ALGO=ring
                 ARGS --threads 8 --collectives allreduce,reducescatter,allgather
                      --dtypes int32,float,bfloat16 --large)
# Its links held to the spec's ratios (--emulate-links): 1000 GB/s for the switch's 4000 keeps the
# latencies at tens of microseconds, so the matrix's many small cases stay quick.
ultracc_api_test(ApiTopology.small_cluster.emulated TIMEOUT 240 COST 10
                 COMMAND $<TARGET_FILE:ultracc_cli> launch --topology ${ULTRACC_SMALL_CLUSTER}
                         --emulate-links 1000 -- $<TARGET_FILE:collectives_check>
                 ARGS --collectives allreduce,reducescatter,allgather,alltoall,broadcast
                      --dtypes int32,float,bfloat16 --large)
ultracc_api_test(ApiTopology.small_cluster.hier TIMEOUT 240 ENV ULTRACC_ALGO=hier
                 COMMAND $<TARGET_FILE:ultracc_cli> launch --topology ${ULTRACC_SMALL_CLUSTER} --
                         $<TARGET_FILE:collectives_check>
                 ARGS --collectives allreduce,reducescatter,allgather --large)

# The same matrix with the nodes linked by libfabric (--transport ofi): the tcp and shm providers,
# 2 nodes of 2 chips striped over two rails and 3 nodes of one chip on one rail; and embedded mode
# over ofi, which split communicators also use.
foreach(provider tcp shm)
  foreach(shape_rails 2x2x2 3x1x1)
    string(REPLACE "x" ";" dims ${shape_rails})
    list(GET dims 0 nodes)
    list(GET dims 1 chips)
    list(GET dims 2 rails)
    set(launch $<TARGET_FILE:ultracc_cli> launch --nodes ${nodes} --chips-per-node ${chips}
        --transport ofi --ofi-provider ${provider} --rails ${rails} --
        $<TARGET_FILE:collectives_check>)
    ultracc_api_test(ApiDaemonOfi.${provider}.${nodes}x${chips}.rails${rails} TIMEOUT 300 COST 10
                     COMMAND ${launch} ARGS --large)
  endforeach()
  # Every buffer registered as efa requires (rank arenas page by page and kept, others per call).
  ultracc_api_test(ApiDaemonOfi.${provider}.2x2.mr_local TIMEOUT 300 COST 10
                   ENV ULTRACC_OFI_MR_LOCAL=1
                   COMMAND $<TARGET_FILE:ultracc_cli> launch --nodes 2 --chips-per-node 2
                           --transport ofi --ofi-provider ${provider} --rails 2 --
                           $<TARGET_FILE:collectives_check>
                   ARGS --large)
  ultracc_api_test(ApiEmbeddedOfi.${provider}.w3 TIMEOUT 240
                   ENV ULTRACC_TRANSPORT=ofi ULTRACC_OFI_PROVIDER=${provider}
                   ARGS --threads 3 --large)
endforeach()
