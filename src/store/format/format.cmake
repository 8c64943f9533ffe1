# On-disk format of a volume (docs/format.md): checksums, the shared metadata block header,
# geometry, the superblock, map entries, compressed blocks, journal
# blocks, block-map pages, refcount blocks and dedup index pages.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(accz PRIVATE
  ${_dir}/crc32c.cc
  ${_dir}/block_header.cc
  ${_dir}/geometry.cc
  ${_dir}/superblock.cc
  ${_dir}/map_entry.cc
  ${_dir}/compressed_block.cc
  ${_dir}/journal_block.cc
  ${_dir}/metadata_page.cc
  ${_dir}/index_page.cc)

accz_test(store_format_test SOURCES
  ${_dir}/crc32c_test.cc
  ${_dir}/format_test.cc
  ${_dir}/codec_test.cc
  ${_dir}/metadata_page_test.cc
  ${_dir}/index_page_test.cc)
