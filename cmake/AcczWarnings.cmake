# Warnings every target of ours gets (not third-party headers).
add_library(accz_warnings INTERFACE)
target_compile_options(accz_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter)
