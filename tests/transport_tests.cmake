# Tests of transport/.
ultracc_add_test(tcp_transport_test SOURCES tcp_transport_test.cc LIBS ultracc_transport_tcp
                 TIMEOUT 120)
ultracc_add_test(subset_transport_test SOURCES subset_transport_test.cc
                 LIBS ultracc_transport_subset ultracc_transport_inproc TIMEOUT 60)
ultracc_add_test(ofi_transport_test SOURCES ofi_transport_test.cc LIBS ultracc_transport_ofi
                 TIMEOUT 300)
ultracc_add_test(rail_transport_test SOURCES rail_transport_test.cc
                 LIBS ultracc_transport_rails ultracc_transport_tcp ultracc_transport_factory
                 TIMEOUT 120)
ultracc_add_test(process_links_test SOURCES process_links_test.cc LIBS ultracc_transport_inproc
                 TIMEOUT 60)
ultracc_add_test(shaped_transport_test SOURCES shaped_transport_test.cc
                 LIBS ultracc_transport_shaping ultracc_transport_inproc TIMEOUT 60)
ultracc_add_test(shm_transport_test SOURCES shm_transport_test.cc
                 LIBS ultracc_transport_shm ultracc_transport_factory TIMEOUT 120)
