# Volume metadata engine: create/open/close, the recovery journal, replay and the two-copy
# write-back of block-map pages and refcount blocks.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(accz PRIVATE
  ${_dir}/block_io.cc
  ${_dir}/superblock_io.cc
  ${_dir}/metadata_io.cc
  ${_dir}/metadata_updater.cc
  ${_dir}/journal_writer.cc
  ${_dir}/replay.cc
  ${_dir}/open_volume.cc
  ${_dir}/block_map_cache.cc
  ${_dir}/refcount_table.cc
  ${_dir}/volume_metadata.cc
  ${_dir}/checker.cc
  ${_dir}/dedup_index.cc
  ${_dir}/packer.cc
  ${_dir}/extent_reader.cc)

accz_test(store_volume_test SOURCES
  ${_dir}/create_open_test.cc
  ${_dir}/journal_test.cc
  ${_dir}/recovery_crash_test.cc
  ${_dir}/block_map_cache_test.cc
  ${_dir}/refcount_table_test.cc
  ${_dir}/volume_metadata_test.cc
  ${_dir}/checker_test.cc
  ${_dir}/dedup_index_test.cc
  ${_dir}/packer_test.cc
  ${_dir}/extent_reader_test.cc)

# Compression through the core's Accel runs on device worker threads.
target_sources(accz PRIVATE ${_dir}/block_codec.cc)
accz_test(store_block_codec_test SOURCES ${_dir}/block_codec_test.cc LABELS threaded)
