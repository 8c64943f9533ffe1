# On-disk format of a volume (docs/format.md): checksums and the encoders/decoders of its
# metadata structures.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(accz PRIVATE
  ${_dir}/crc32c.cc)

accz_test(store_format_test SOURCES
  ${_dir}/crc32c_test.cc)
