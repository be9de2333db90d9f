# The plugin engineer's benchmark: stock tools on guestuml against libguestfs on QEMU.
add_executable(bench_plugin ${CMAKE_CURRENT_LIST_DIR}/plugin_bench.cpp ${CMAKE_CURRENT_LIST_DIR}/tree_memory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fork_scaling.cpp)
# guestuml_test_support: the /proc process-tree walk the tests use too, and how
# the reference runs libguestfs on QEMU.
target_link_libraries(bench_plugin PRIVATE guestuml_backend guestuml_test_support fmt::fmt Boost::filesystem)
target_compile_definitions(bench_plugin PRIVATE GUESTUML_PROGRAM="$<TARGET_FILE:guestuml>")
add_dependencies(bench_plugin guestuml guestuml-qemu)
