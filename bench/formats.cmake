# Sequential read inside the guest from raw, qcow2 and nbd (bench_formats).
add_executable(bench_formats ${CMAKE_CURRENT_LIST_DIR}/formats_bench.cpp)
target_link_libraries(bench_formats PRIVATE guestuml_backend PkgConfig::LIBGUESTFS fmt::fmt Boost::filesystem)
target_compile_definitions(bench_formats PRIVATE GUESTUML_PROGRAM="$<TARGET_FILE:guestuml>")
add_dependencies(bench_formats guestuml guestuml-qemu)
