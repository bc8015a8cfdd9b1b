# Tests of runtime/shm/. Several fork() child processes; each wait there has a deadline.
ultracc_add_test(shared_region_test SOURCES shared_region_test.cc LIBS ultracc_shm TIMEOUT 60)
ultracc_add_test(unix_channel_test SOURCES unix_channel_test.cc LIBS ultracc_shm TIMEOUT 60)
ultracc_add_test(spsc_ring_test SOURCES spsc_ring_test.cc LIBS ultracc_shm TIMEOUT 60)
ultracc_add_test(arena_allocator_test SOURCES arena_allocator_test.cc LIBS ultracc_shm TIMEOUT 60)
ultracc_add_test(process_descriptor_test SOURCES process_descriptor_test.cc LIBS ultracc_shm
                 TIMEOUT 60)
