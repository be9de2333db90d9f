# The virtio channel benchmark; it boots guests with the channel test kit,
# which exists only when the tests are built.
if(TARGET channel_testkit)
  add_executable(channel_bench ${CMAKE_CURRENT_LIST_DIR}/channel_bench.cpp)
  target_link_libraries(channel_bench PRIVATE channel_testkit)
endif()
