# Drop-in stream routing tests (deflate/inflate on engines), owned by the stream work.
