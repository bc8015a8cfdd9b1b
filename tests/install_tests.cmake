# Tests of the install: the prefix holds what users build against, and programs built with
# pkg-config or find_package(ultracc) run under the installed launcher.
add_test(NAME InstallConsumerTest
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/install_consumer_test.sh ${PROJECT_BINARY_DIR}
                 ${PROJECT_SOURCE_DIR})
# Mostly one compiler or cmake at a time: it may share the cores with another test.
set_tests_properties(InstallConsumerTest PROPERTIES TIMEOUT 600 LABELS multiprocess)
