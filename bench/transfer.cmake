# The bulk transfer benchmark: stock guestfish over both guestuml channels and
# libguestfs on QEMU (bench_transfer).
add_executable(bench_transfer ${CMAKE_CURRENT_LIST_DIR}/transfer_bench.cpp)
# guestuml_test_support: how the reference runs libguestfs on QEMU.
target_link_libraries(bench_transfer PRIVATE guestuml_backend guestuml_test_support fmt::fmt Boost::filesystem)
target_compile_definitions(bench_transfer PRIVATE GUESTUML_PROGRAM="$<TARGET_FILE:guestuml>")
add_dependencies(bench_transfer guestuml guestuml-qemu)
